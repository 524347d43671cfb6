using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>Image preprocessing through the Encode RPC with the channel-mean model: normalization, channel order, batches, bad images.</summary>
public sealed class ImageEncoderApiTests(EncoderServerFixture fixture) : IClassFixture<EncoderServerFixture>
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private static EncoderDescriptor Means(string name, ChannelOrder order) => new()
    {
        Name = name,
        Version = "1",
        Dimension = TinyImageModel.Dim,
        Metric = Metric.L2,
        InputKind = InputKind.Image,
        InputName = "pixels",
        OutputName = "means",
        MaxBatch = 8,
        Image = new ImageSettings { Width = TinyImageModel.Size, Height = TinyImageModel.Size, ResizeShorterSide = 0, ChannelOrder = order, Mean = { Mean }, Std = { Std } },
    };

    private static EncoderInput Image(byte[] bytes) => new() { Image = ByteString.CopyFrom(bytes) };

    [Theory]
    [InlineData(ChannelOrder.Rgb)]
    [InlineData(ChannelOrder.Bgr)]
    public async Task FlatColours_GiveTheNormalizedChannelValues_InTheModelsChannelOrder(ChannelOrder order)
    {
        var name = $"means-{order.ToString().ToLowerInvariant()}";
        await fixture.RegisterAsync(Means(name, order), TinyImageModel.Model());
        byte[][] colours = [[200, 30, 90], [0, 255, 17], [128, 128, 128]];

        var vectors = await fixture.EncodeGrpcAsync(name, colours.Select(c => Image(TestImages.Solid(c[0], c[1], c[2]))));

        for (var i = 0; i < colours.Length; i++)
        {
            var rgb = colours[i];
            var expected = Enumerable.Range(0, 3).Select(c =>
            {
                var pixel = rgb[order == ChannelOrder.Bgr ? 2 - c : c];
                return ((pixel * (1f / 255f)) - Mean[c]) / Std[c];
            }).ToArray();
            VectorAssert.Close(expected, vectors[i], 1e-5f);
        }
    }

    [Fact]
    public async Task Batch_EqualsOneByOne_AndTheFirstBadImageByIndexIsReported()
    {
        await fixture.RegisterAsync(Means("means-batch", ChannelOrder.Rgb), TinyImageModel.Model());
        EncoderInput[] images = [Image(TestImages.Disc()), Image(TestImages.Stripes()), Image(TestImages.Disc(shift: 9, format: SkiaSharp.SKEncodedImageFormat.Jpeg)), Image(TestImages.Solid(1, 2, 3))];

        var batched = await fixture.EncodeGrpcAsync("means-batch", images);
        var single = await Task.WhenAll(images.Select(async i => (await fixture.EncodeGrpcAsync("means-batch", [i]))[0]));
        for (var i = 0; i < images.Length; i++)
        {
            VectorAssert.Close(single[i], batched[i], 1e-6f);
        }

        EncoderInput[] withBad = [images[0], Image([1, 2, 3, 4]), images[1], Image(TestImages.Disc()[..60])];
        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.EncodeGrpcAsync("means-batch", withBad));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("inputs[1].image", error.Status.Detail, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
using Google.Protobuf;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;
using Xunit.Abstractions;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>
/// The pretrained ResNet18 from ML.NET's package, registered through the public streaming API as an image encoder.
/// Its preprocessing model (ResNetPreprocess.onnx) reorders RGB to BGR and subtracts a mean image in 0..255; the
/// descriptor reproduces that with per-channel ImageNet means, so the server needs no second model.
/// </summary>
public sealed class ResNet18Tests(EncoderServerFixture fixture, ITestOutputHelper output) : IClassFixture<EncoderServerFixture>
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    private static EncoderDescriptor Descriptor(string name) => new()
    {
        Name = name,
        Version = "0.23.1",
        Dimension = 512,
        Metric = Metric.Cosine,
        Kind = EncoderKind.Dense,
        InputKind = InputKind.Image,
        InputName = "Input247",
        OutputName = "Pooling395_Output_0",
        MaxBatch = 8,
        Image = new ImageSettings
        {
            Width = 224,
            Height = 224,
            ResizeShorterSide = 224,
            Scale = 1,
            Mean = { 103.94f, 116.78f, 123.68f },
            Std = { 1, 1, 1 },
            ChannelOrder = ChannelOrder.Bgr,
        },
    };

    [Fact]
    public async Task ResNet18_AsImageEncoder_Is512dDeterministicBatchEqualAndSimilarityAware()
    {
        var clock = Stopwatch.StartNew();
        var registered = await fixture.RegisterAsync(Descriptor("resnet18"), await File.ReadAllBytesAsync(ModelPath));
        output.WriteLine($"registered {registered.ModelBytes} bytes in {clock.ElapsedMilliseconds} ms");

        var disc = TestImages.Disc();
        var shifted = TestImages.Disc(shift: 6, format: SkiaSharp.SKEncodedImageFormat.Jpeg);
        var stripes = TestImages.Stripes();
        clock.Restart();
        var batch = await fixture.EncodeGrpcAsync("resnet18", [Image(disc), Image(shifted), Image(stripes)]);
        output.WriteLine($"3 images in {clock.ElapsedMilliseconds} ms (fixed batch 1: run one at a time)");
        var again = await fixture.EncodeGrpcAsync("resnet18", [Image(disc)]);

        Assert.All(batch, v => Assert.Equal(512, v.Length));
        Assert.Equal(batch[0], again[0]);
        var similar = VectorAssert.Cosine(batch[0], batch[1]);
        var dissimilar = VectorAssert.Cosine(batch[0], batch[2]);
        output.WriteLine($"cos(disc, shifted disc) = {similar:F4}; cos(disc, stripes) = {dissimilar:F4}");
        Assert.True(similar > dissimilar, $"similar {similar} should exceed dissimilar {dissimilar}");
    }

    private static EncoderInput Image(byte[] bytes) => new() { Image = ByteString.CopyFrom(bytes) };
}

using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Api;

public sealed class TensorEncoderApiTests(EncoderServerFixture fixture) : IClassFixture<EncoderServerFixture>
{
    private static readonly TensorMlp Mlp = new();

    private static float[] Sample(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, TensorMlp.In).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
    }

    [Fact]
    public async Task EncodeRest_TensorMlp_MatchesPlainCSharp()
    {
        await fixture.RegisterAsync(Descriptors.Mlp("mlp-rest"), Mlp.Model());
        var inputs = Enumerable.Range(0, 5).Select(Sample).ToArray();

        var vectors = await fixture.EncodeRestAsync("mlp-rest", "[" + string.Join(',', inputs.Select(EncoderServerFixture.TensorJson)) + "]");

        Assert.Equal(inputs.Length, vectors.Length);
        for (var i = 0; i < inputs.Length; i++)
        {
            VectorAssert.Close(Mlp.Expected(inputs[i]), vectors[i]);
        }
    }

    [Fact]
    public async Task Encode_BatchOfMany_EqualsOneByOne()
    {
        await fixture.RegisterAsync(Descriptors.Mlp("mlp-batch"), Mlp.Model());
        var inputs = Enumerable.Range(100, 20).Select(Sample).ToArray();

        var batched = await fixture.EncodeGrpcAsync("mlp-batch", inputs.Select(Tensor));
        var single = await Task.WhenAll(inputs.Select(async x => (await fixture.EncodeGrpcAsync("mlp-batch", [Tensor(x)]))[0]));

        for (var i = 0; i < inputs.Length; i++)
        {
            VectorAssert.Close(single[i], batched[i], 1e-6f);
        }
    }

    [Fact]
    public async Task Encode_FixedBatchOfOneModel_RunsEveryInput()
    {
        // Like ResNet18's export: the batch dimension is 1, so the batcher must feed items one at a time.
        await fixture.RegisterAsync(Descriptors.Mlp("mlp-fixed"), Mlp.Model(fixedBatchOfOne: true));
        var inputs = Enumerable.Range(200, 12).Select(Sample).ToArray();

        var vectors = await Task.WhenAll(
            fixture.EncodeGrpcAsync("mlp-fixed", inputs.Take(6).Select(Tensor)),
            fixture.EncodeGrpcAsync("mlp-fixed", inputs.Skip(6).Select(Tensor)));

        var all = vectors.SelectMany(v => v).ToArray();
        for (var i = 0; i < inputs.Length; i++)
        {
            VectorAssert.Close(Mlp.Expected(inputs[i]), all[i]);
        }
    }

    [Fact]
    public async Task Encode_WrongTensorShape_IsInvalidArgument()
    {
        await fixture.RegisterAsync(Descriptors.Mlp("mlp-shape"), Mlp.Model());
        var bad = new EncoderInput { Tensor = new TensorValue { Shape = { 3 }, Values = { 1, 2, 3 } } };

        Assert.Equal(StatusCode.InvalidArgument, await EncoderServerFixture.StatusOf(() => fixture.EncodeGrpcAsync("mlp-shape", [bad])));
        Assert.Equal(StatusCode.InvalidArgument, await EncoderServerFixture.StatusOf(() => fixture.EncodeGrpcAsync("mlp-shape", [new EncoderInput { Text = "hello" }])));
        Assert.Equal(StatusCode.NotFound, await EncoderServerFixture.StatusOf(() => fixture.EncodeGrpcAsync("no-such-encoder", [bad])));
    }

    [Fact]
    public async Task Encode_DynamicShapesInOneRequest_RunEachShapeOnItsOwn()
    {
        // s = sum(x) over a dynamic-length axis: items of different lengths cannot share one input tensor.
        var model = new OnnxGraph()
            .Input("x", OnnxGraph.Float, "batch", "n")
            .Initializer("axes", [1L], 1)
            .Node("ReduceSum", ["x", "axes"], "s")
            .Output("s", OnnxGraph.Float, "batch", 1)
            .ToBytes();
        await fixture.RegisterAsync(Descriptors.Mlp("sum", dimension: 1, output: "s"), model);

        var vectors = await fixture.EncodeGrpcAsync("sum", [Tensor([1, 2, 3]), Tensor([4, 5]), Tensor([0.5f, 0.5f, 1]), Tensor([7])]);

        Assert.Equal([6f, 9f, 2f, 7f], vectors.Select(v => v.Single()));
    }

    private static EncoderInput Tensor(float[] x) => new() { Tensor = new TensorValue { Shape = { x.Length }, Values = { x } } };
}

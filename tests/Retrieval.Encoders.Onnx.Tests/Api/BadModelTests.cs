using System.Net;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>Models that must be refused at registration with INVALID_ARGUMENT and a reason, over gRPC and REST, leaving the server serving.</summary>
public sealed class BadModelTests(EncoderServerFixture fixture) : IClassFixture<EncoderServerFixture>
{
    public static TheoryData<string, string> Cases => new()
    {
        { "garbage", "ONNX Runtime cannot load it" },
        { "empty", "model" },
        { "wrong-output", "no tensor output 'nope'" },
        { "wrong-input", "no tensor input 'pixels'" },
        { "wrong-dimension", "declared 16" },
        { "text-without-vocabulary", "vocabulary" },
        { "pooling-on-tensor-input", "token states" },
        { "text-wrong-dimension", "token states" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Register_BadModel_IsInvalidArgumentWithReason(string name, string reason)
    {
        var (descriptor, model, vocabulary) = Case(name);

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.RegisterAsync(descriptor, model, vocabulary));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);

        var request = new UploadEncoderRequest { Descriptor_ = descriptor, Model = Google.Protobuf.ByteString.CopyFrom(model) };
        using var response = await fixture.Server.PostJsonAsync("/v1/encoders", Google.Protobuf.JsonFormatter.Default.Format(request));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var listed = await fixture.Encoders.ListEncodersAsync(new ListEncodersRequest());
        Assert.DoesNotContain(listed.Encoders, e => e.Descriptor_.Name == name);
    }

    private static (EncoderDescriptor, byte[], byte[]?) Case(string name)
    {
        var mlp = new TensorMlp().Model();
        return name switch
        {
            "garbage" => (Descriptors.Mlp(name), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray(), null),
            "empty" => (Descriptors.Mlp(name), [], null),
            "wrong-output" => (Descriptors.Mlp(name, output: "nope"), mlp, null),
            "wrong-input" => (Descriptors.Mlp(name, input: "pixels"), mlp, null),
            "wrong-dimension" => (Descriptors.Mlp(name, dimension: 16), mlp, null),
            "text-without-vocabulary" => (Descriptors.Text(name), new TinyTextModel().Model(), null),
            "pooling-on-tensor-input" => (WithPooling(Descriptors.Mlp(name)), mlp, null),
            _ => (WithDimension(Descriptors.Text(name), 7), new TinyTextModel().Model(), TinyTextModel.VocabularyBytes),
        };
    }

    private static EncoderDescriptor WithDimension(EncoderDescriptor descriptor, int dimension)
    {
        descriptor.Dimension = dimension;
        return descriptor;
    }

    private static EncoderDescriptor WithPooling(EncoderDescriptor descriptor)
    {
        descriptor.Pooling = Pooling.Mean;
        return descriptor;
    }
}

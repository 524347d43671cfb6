using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>Versions listed, fetched, deleted; registrations survive a restart; a damaged stored model is detected, and loads again once repaired.</summary>
public sealed class EncoderLifecycleTests
{
    private static readonly TensorMlp Mlp = new();
    private static readonly TensorMlp OtherMlp = new(seed: 99);

    [Fact]
    public async Task Versions_ListGetDelete_AndSurviveRestart()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        float[] before;
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            var client = new Contracts.V1.Encoders.EncodersClient(server.Channel);
            await EncoderServerFixture.RegisterAsync(client, Descriptors.Mlp("life", "1"), Mlp.Model());
            var second = await EncoderServerFixture.RegisterAsync(client, Descriptors.Mlp("life", "2"), OtherMlp.Model());
            Assert.Equal(64, second.ModelSha256.Length);

            var duplicate = await Assert.ThrowsAsync<RpcException>(() => EncoderServerFixture.RegisterAsync(client, Descriptors.Mlp("life", "2"), Mlp.Model()));
            Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
            Assert.Equal(["1", "2"], (await client.ListEncodersAsync(new ListEncodersRequest { Name = "life" })).Encoders.Select(e => e.Descriptor_.Version));
            Assert.Equal("2", (await client.GetEncoderAsync(new GetEncoderRequest { Name = "life" })).Descriptor_.Version);

            await client.DeleteEncoderAsync(new DeleteEncoderRequest { Name = "life", Version = "2" });
            Assert.Equal("1", (await client.GetEncoderAsync(new GetEncoderRequest { Name = "life" })).Descriptor_.Version);
            before = (await Encode(client)).Embeddings[0].Values.ToArray();
        }

        configuration.RenewPorts();
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            var client = new Contracts.V1.Encoders.EncodersClient(server.Channel);
            Assert.Equal(["1"], (await client.ListEncodersAsync(new ListEncodersRequest())).Encoders.Select(e => e.Descriptor_.Version));
            Assert.Equal(before, (await Encode(client)).Embeddings[0].Values.ToArray());
        }

        // Flip one byte of the stored model: the checksum catches it on load, and the encoder is reported unavailable.
        var modelPath = Path.Combine(configuration.DataDirectory, "encoders", "life", "1", "model.onnx");
        var bytes = await File.ReadAllBytesAsync(modelPath);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(modelPath, bytes);
        configuration.RenewPorts();
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            var client = new Contracts.V1.Encoders.EncodersClient(server.Channel);
            var error = await Assert.ThrowsAsync<RpcException>(() => Encode(client));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("checksum", error.Status.Detail, StringComparison.Ordinal);

            // Repaired on disk: the failed load was not cached, so the same server now loads it.
            bytes[^1] ^= 0xFF;
            await File.WriteAllBytesAsync(modelPath, bytes);
            Assert.Equal(before, (await Encode(client)).Embeddings[0].Values.ToArray());
        }
    }

    private static async Task<EncodeResponse> Encode(Contracts.V1.Encoders.EncodersClient client) =>
        await client.EncodeAsync(new EncodeRequest
        {
            Name = "life",
            Inputs = { new EncoderInput { Tensor = new TensorValue { Shape = { 4 }, Values = { 1, -1, 0.5f, 2 } } } },
        });
}

using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>A real server (SQLite store, own data directory) shared by the tests of one class, with encoder helpers.</summary>
public sealed class EncoderServerFixture : IAsyncLifetime
{
    public const int ChunkBytes = 1 << 20;

    public InProcessServer Server { get; private set; } = null!;

    public Contracts.V1.Encoders.EncodersClient Encoders { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        Encoders = new Contracts.V1.Encoders.EncodersClient(Server.Channel);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Registers through the gRPC client stream: a header, then the model in 1 MiB chunks.</summary>
    public static async Task<Encoder> RegisterAsync(Contracts.V1.Encoders.EncodersClient client, EncoderDescriptor descriptor, byte[] model, byte[]? vocabulary = null)
    {
        using var call = client.RegisterEncoder();
        var header = new RegisterEncoderHeader { Descriptor_ = descriptor };
        if (vocabulary is not null)
        {
            header.Vocabulary = ByteString.CopyFrom(vocabulary);
        }

        await call.RequestStream.WriteAsync(new RegisterEncoderChunk { Header = header });
        for (var offset = 0; offset < model.Length; offset += ChunkBytes)
        {
            var chunk = ByteString.CopyFrom(model, offset, Math.Min(ChunkBytes, model.Length - offset));
            await call.RequestStream.WriteAsync(new RegisterEncoderChunk { ModelChunk = chunk });
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    public Task<Encoder> RegisterAsync(EncoderDescriptor descriptor, byte[] model, byte[]? vocabulary = null) =>
        RegisterAsync(Encoders, descriptor, model, vocabulary);

    /// <summary>Encodes over REST and returns each embedding's values.</summary>
    public async Task<float[][]> EncodeRestAsync(string name, string inputsJson, bool query = false)
    {
        var body = $$"""{"inputs":{{inputsJson}},"query":{{(query ? "true" : "false")}}}""";
        using var response = await Server.PostJsonAsync($"/v1/encoders/{name}:encode", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("embeddings").EnumerateArray()
            .Select(e => e.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray())
            .ToArray();
    }

    public async Task<float[][]> EncodeGrpcAsync(string name, IEnumerable<EncoderInput> inputs, bool query = false)
    {
        var request = new EncodeRequest { Name = name, Query = query };
        request.Inputs.Add(inputs);
        var response = await Encoders.EncodeAsync(request);
        return response.Embeddings.Select(e => e.Values.ToArray()).ToArray();
    }

    public static string TensorJson(float[] values)
    {
        var numbers = string.Join(',', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        return "{\"tensor\":{\"shape\":[" + values.Length + "],\"values\":[" + numbers + "]}}";
    }

    public static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        return error.StatusCode;
    }
}

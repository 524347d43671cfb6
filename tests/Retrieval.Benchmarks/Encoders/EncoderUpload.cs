using Google.Protobuf;
using Retrieval.Contracts.V1;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>Registers a model through the public gRPC client stream, as a user would: a header, then 1 MiB chunks.</summary>
internal static class EncoderUpload
{
    private const int ChunkBytes = 1 << 20;

    public static async Task<Encoder> RegisterAsync(Contracts.V1.Encoders.EncodersClient client, EncoderDescriptor descriptor, byte[] model, byte[]? vocabulary)
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
}

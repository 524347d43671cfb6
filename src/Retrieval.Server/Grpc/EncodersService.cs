using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the encoder registry.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForEncoders), nameof(GuardedServiceBinding.ForEncoders.BindService))]
internal sealed class EncodersService(EncoderRegistry registry, OnnxEncoderOptions options, RetrievalEngine engine) : Contracts.V1.Encoders.EncodersBase
{
    public override async Task<Encoder> RegisterEncoder(IAsyncStreamReader<RegisterEncoderChunk> requestStream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        if (!await requestStream.MoveNext(token) || requestStream.Current.PartCase != RegisterEncoderChunk.PartOneofCase.Header)
        {
            throw RetrievalException.Invalid(FieldPath.Of("header"), "the first message must carry the descriptor");
        }

        var header = requestStream.Current.Header;
        using var model = new MemoryStream();
        while (await requestStream.MoveNext(token))
        {
            var chunk = requestStream.Current;
            if (chunk.PartCase != RegisterEncoderChunk.PartOneofCase.ModelChunk)
            {
                throw RetrievalException.Invalid(FieldPath.Of("model_chunk"), "only the first message may carry a header");
            }

            // The stream sidesteps the per-message limit, not the model-size limit.
            if (model.Length + chunk.ModelChunk.Length > options.MaxModelBytes)
            {
                throw RetrievalException.Exhausted($"the model exceeds {options.MaxModelBytes} bytes (Retrieval:Encoders:MaxModelBytes)");
            }

            chunk.ModelChunk.WriteTo(model);
        }

        var package = new EncoderPackage(EncoderMapping.ToDescriptor(header.Descriptor_), model.ToArray(), EncoderMapping.NullIfEmpty(header.Vocabulary));
        return EncoderMapping.ToProto(await registry.RegisterAsync(package, token));
    }

    public override async Task<Encoder> UploadEncoder(UploadEncoderRequest request, ServerCallContext context)
    {
        var package = new EncoderPackage(EncoderMapping.ToDescriptor(request.Descriptor_), request.Model.ToByteArray(), EncoderMapping.NullIfEmpty(request.Vocabulary));
        return EncoderMapping.ToProto(await registry.RegisterAsync(package, context.CancellationToken));
    }

    public override Task<ListEncodersResponse> ListEncoders(ListEncodersRequest request, ServerCallContext context)
    {
        var response = new ListEncodersResponse();
        response.Encoders.Add(registry.List(request.Name).Select(EncoderMapping.ToProto));
        return Task.FromResult(response);
    }

    public override Task<Encoder> GetEncoder(GetEncoderRequest request, ServerCallContext context) =>
        Task.FromResult(EncoderMapping.ToProto(registry.Get(request.Name, request.Version)));

    public override async Task<DeleteEncoderResponse> DeleteEncoder(DeleteEncoderRequest request, ServerCallContext context)
    {
        // A space naming the version pins it: the registry asks the engine under the lock that space binding holds too.
        await registry.DeleteAsync(request.Name, request.Version, () => engine.EncoderUsers(request.Name, request.Version), context.CancellationToken);
        return new DeleteEncoderResponse();
    }

    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        var inputs = request.Inputs.Select(EncoderMapping.ToInput).ToList();
        var (info, embeddings) = await registry.EncodeAsync(request.Name, request.Version, inputs, request.Query, context.CancellationToken);
        return EncoderMapping.ToProto(info, embeddings);
    }
}

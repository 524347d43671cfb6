using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Encoders.Onnx;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Server.Grpc;
using Retrieval.Server.Mapping;
using Retrieval.Server.Rest;
using Retrieval.Server.Security;
using GrpcStatus = global::Grpc.Core.StatusCode;
using Proto = Retrieval.Contracts.V1;

namespace Retrieval.Server.Hosting;

/// <summary>
/// REST upload of an encoder as <c>multipart/form-data</c> (plain or chunked transfer): a <c>descriptor</c> part (the
/// EncoderDescriptor as JSON), a <c>model</c> part (the ONNX bytes) and, for text encoders, a <c>vocabulary</c> part.
/// The model streams in, bounded by <c>Retrieval:Encoders:MaxModelBytes</c> instead of the small per-request JSON
/// limit (413 beyond it); the JSON <c>UploadEncoder</c> route stays for small models. Answers like the transcoded
/// routes: the Encoder as JSON, or <c>{"code", "message", "details"}</c> with the gRPC code and its HTTP status.
/// </summary>
internal static class EncoderUploadEndpoint
{
    public const string Path = "/v1/encoders:upload";

    /// <summary>Room for the descriptor, the vocabulary and multipart framing on top of the model.</summary>
    private const long OverheadBytes = 64L * 1024 * 1024;

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static IEndpointRouteBuilder MapEncoderUpload(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, UploadAsync).DisableAntiforgery().RequireAccess($"POST {Path}", ApiKeyScope.Admin, CollectionBinding.Global);
        return endpoints;
    }

    private static async Task UploadAsync(HttpContext context, EncoderRegistry registry, OnnxEncoderOptions options)
    {
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = options.MaxModelBytes + OverheadBytes;
            }

            var package = await ReadPackageAsync(context.Request, options.MaxModelBytes, context.RequestAborted);
            var info = await registry.RegisterAsync(package, context.RequestAborted);
            var json = JsonNode.Parse(JsonFormatter.Default.Format(EncoderMapping.ToProto(info)))!;
            // REST writes int64 as JSON numbers (docs/decisions.md), as the transcoded routes do.
            json["modelBytes"] = info.ModelBytes;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
        }
        catch (RetrievalException e)
        {
            await WriteErrorAsync(context, ErrorInterceptor.ToStatusCode(e.Kind), FieldPathRenderer.MessageOf(e));
        }
        catch (Exception e) when (StorageFullFailure.Find(e) is not null)
        {
            // The encoder store writes to a staging folder and removes it on failure: nothing is half registered.
            await RestErrorResponse.WriteAsync(context, GrpcStatus.ResourceExhausted, StorageFullFailure.Message, StatusCodes.Status507InsufficientStorage);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(context, GrpcStatus.ResourceExhausted, $"the upload exceeds {options.MaxModelBytes + OverheadBytes} bytes (Retrieval:Encoders:MaxModelBytes)");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            await WriteErrorAsync(context, GrpcStatus.InvalidArgument, $"body: not a readable multipart/form-data upload: {e.Message}");
        }
    }

    private static async Task<EncoderPackage> ReadPackageAsync(HttpRequest request, long maxModelBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw RetrievalException.Invalid(FieldPath.Of("body"), "must be multipart/form-data with parts descriptor, model and (text encoders) vocabulary");
        }

        var reader = new MultipartReader(boundary, request.Body);
        Proto.EncoderDescriptor? descriptor = null;
        byte[]? model = null;
        byte[]? vocabulary = null;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                : null;
            switch (name)
            {
                case "descriptor":
                    var text = await ReadBoundedAsync(section.Body, 1024 * 1024, "descriptor", cancellationToken);
                    descriptor = ParseDescriptor(System.Text.Encoding.UTF8.GetString(text));
                    break;
                case "model":
                    model = await ReadBoundedAsync(section.Body, maxModelBytes, "model", cancellationToken);
                    break;
                case "vocabulary":
                    vocabulary = await ReadBoundedAsync(section.Body, OverheadBytes / 2, "vocabulary", cancellationToken);
                    break;
                default:
                    throw RetrievalException.Invalid(FieldPath.Of(string.IsNullOrEmpty(name) ? "body" : name), "unexpected part; the parts are descriptor, model and vocabulary");
            }
        }

        if (model is null)
        {
            throw RetrievalException.Invalid(FieldPath.Of("model"), "the model part is missing");
        }

        return new EncoderPackage(EncoderMapping.ToDescriptor(descriptor), model, vocabulary is { Length: > 0 } ? vocabulary : null);
    }

    private static Proto.EncoderDescriptor ParseDescriptor(string json)
    {
        try
        {
            return Parser.Parse<Proto.EncoderDescriptor>(json);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor"), $"not an EncoderDescriptor in JSON: {e.Message}");
        }
        catch (InvalidJsonException e)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor"), $"not valid JSON: {e.Message}");
        }
    }

    /// <summary>Copies a part into memory, refusing it (RESOURCE_EXHAUSTED) as soon as it passes <paramref name="limit"/>.</summary>
    private static async Task<byte[]> ReadBoundedAsync(Stream body, long limit, string field, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (copy.Length + read > limit)
            {
                throw RetrievalException.Exhausted($"{field} exceeds {limit} bytes{(field == "model" ? " (Retrieval:Encoders:MaxModelBytes)" : "")}");
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    private static Task WriteErrorAsync(HttpContext context, GrpcStatus code, string message) =>
        // An over-size upload is 413 (the body, not a quota, is too large); everything else as transcoding maps it.
        RestErrorResponse.WriteAsync(context, code, message,
            code == GrpcStatus.ResourceExhausted ? StatusCodes.Status413PayloadTooLarge : null);
}

using Microsoft.Extensions.Options;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Answers 413 for REST bodies whose declared length exceeds <see cref="RetrievalServerOptions.MaxRequestBytes"/>
/// before anything reads them. (Kestrel enforces the same limit while reading, but JSON transcoding reports
/// that as a generic 400; a declared size lets us say exactly what is wrong.) gRPC has its own message limit.
/// </summary>
internal sealed class RequestSizeLimitMiddleware(RequestDelegate next, IOptions<RetrievalServerOptions> options)
{
    private readonly long _limit = options.Value.MaxRequestBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        // The multipart encoder upload and the snapshot upload have their own, larger limits
        // (Retrieval:Encoders:MaxModelBytes, Retrieval:Backups:MaxUploadBytes).
        if (context.Request.ContentLength is { } length && length > _limit && !IsGrpc(context.Request)
            && !context.Request.Path.Equals(EncoderUploadEndpoint.Path, StringComparison.Ordinal)
            && !SnapshotFileEndpoints.IsUpload(context.Request.Path))
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsJsonAsync(new
            {
                code = 8,
                message = $"request body of {length} bytes exceeds the limit of {_limit} bytes (Retrieval:MaxRequestBytes)",
            }, context.RequestAborted);
            return;
        }

        await next(context);
    }

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}

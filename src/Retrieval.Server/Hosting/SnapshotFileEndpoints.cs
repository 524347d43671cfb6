using Microsoft.AspNetCore.Http.Features;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Engine;
using Retrieval.Engine.Backups;
using Retrieval.Server.Grpc;
using Retrieval.Server.Mapping;
using Retrieval.Server.Rest;
using Retrieval.Server.Security;
using GrpcStatus = global::Grpc.Core.StatusCode;

namespace Retrieval.Server.Hosting;

/// <summary>
/// The REST routes of collection snapshots that move archive files rather than JSON: the download streams the archive
/// (<c>application/x-tar</c>), and the upload restores a raw archive body (any size up to
/// <c>Retrieval:Backups:MaxUploadBytes</c>) into the collection in the path. gRPC has <c>DownloadSnapshot</c> and
/// <c>UploadSnapshot</c> for the same. Errors answer like the transcoded routes: <c>{"code", "message", "details"}</c>.
/// Both need an admin key valid for every collection, since neither goes through the per-message collection check.
/// </summary>
internal static class SnapshotFileEndpoints
{
    public const string DownloadPattern = "/v1/collections/{collection}/snapshots/{name}";
    public const string UploadPattern = "/v1/collections/{collection}/snapshots:upload";
    public const string ArchiveContentType = "application/x-tar";

    private const string UploadSuffix = "/snapshots:upload";

    public static IEndpointRouteBuilder MapSnapshotFiles(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(DownloadPattern, DownloadAsync).RequireAccess($"GET {DownloadPattern}", ApiKeyScope.Admin, CollectionBinding.Global);
        endpoints.MapPost(UploadPattern, UploadAsync).DisableAntiforgery().RequireAccess($"POST {UploadPattern}", ApiKeyScope.Admin, CollectionBinding.Global);
        return endpoints;
    }

    /// <summary>True for the upload route, whose body has its own limit (not <c>Retrieval:MaxRequestBytes</c>).</summary>
    public static bool IsUpload(PathString path) =>
        path.StartsWithSegments("/v1/collections", StringComparison.Ordinal) && path.Value!.EndsWith(UploadSuffix, StringComparison.Ordinal);

    private static async Task DownloadAsync(HttpContext context, RetrievalEngine engine, string collection, string name)
    {
        Stream archive;
        try
        {
            archive = engine.OpenSnapshot(collection, name);
        }
        catch (RetrievalException e)
        {
            await RestErrorResponse.WriteAsync(context, ErrorInterceptor.ToStatusCode(e.Kind), FieldPathRenderer.MessageOf(e));
            return;
        }

        await using (archive)
        {
            context.Response.ContentType = ArchiveContentType;
            context.Response.ContentLength = archive.Length;
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{collection}-{name}.tar\"";
            await archive.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private static async Task UploadAsync(HttpContext context, RetrievalEngine engine, BackupOptions options, string collection, bool? overwrite)
    {
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = options.MaxUploadBytes;
            }

            var (restored, snapshot) = await engine.RestoreSnapshotAsync(context.Request.Body, collection, overwrite ?? false, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(RestJson.Format(SnapshotMapping.ToProto(restored, snapshot)), context.RequestAborted);
        }
        catch (RetrievalException e)
        {
            var code = ErrorInterceptor.ToStatusCode(e.Kind);
            await RestErrorResponse.WriteAsync(context, code, FieldPathRenderer.MessageOf(e), code == GrpcStatus.ResourceExhausted ? StatusCodes.Status413PayloadTooLarge : null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RestErrorResponse.WriteAsync(context, GrpcStatus.ResourceExhausted,
                $"the archive exceeds {options.MaxUploadBytes} bytes (Retrieval:Backups:MaxUploadBytes)", StatusCodes.Status413PayloadTooLarge);
        }
    }
}

using System.Text.Json;
using GrpcStatus = global::Grpc.Core.StatusCode;

namespace Retrieval.Server.Rest;

/// <summary>
/// The REST error body for answers that do not go through JSON transcoding (body checks, the multipart upload): the
/// same <c>{"code","message","details"}</c> shape and HTTP status that transcoding gives a gRPC status, so a client
/// reads every error the same way.
/// </summary>
internal static class RestErrorResponse
{
    public static async Task WriteAsync(HttpContext context, GrpcStatus code, string message, int? httpStatus = null)
    {
        context.Response.StatusCode = httpStatus ?? HttpStatusOf(code);
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteNumber("code", (int)code);
        writer.WriteString("message", message);
        writer.WriteStartArray("details");
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>The HTTP status of a gRPC status, as JSON transcoding maps it (google.rpc.Code's HTTP mapping).</summary>
    public static int HttpStatusOf(GrpcStatus code) => code switch
    {
        GrpcStatus.OK => StatusCodes.Status200OK,
        GrpcStatus.Cancelled => 499,
        GrpcStatus.InvalidArgument or GrpcStatus.FailedPrecondition or GrpcStatus.OutOfRange => StatusCodes.Status400BadRequest,
        GrpcStatus.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        GrpcStatus.NotFound => StatusCodes.Status404NotFound,
        GrpcStatus.AlreadyExists or GrpcStatus.Aborted => StatusCodes.Status409Conflict,
        GrpcStatus.PermissionDenied => StatusCodes.Status403Forbidden,
        GrpcStatus.Unauthenticated => StatusCodes.Status401Unauthorized,
        GrpcStatus.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        GrpcStatus.Unimplemented => StatusCodes.Status501NotImplemented,
        GrpcStatus.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}

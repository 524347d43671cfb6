using System.Globalization;
using Grpc.Core;

namespace Retrieval.Server.Security;

/// <summary>
/// Answers a refused call before it reaches a service, the way that call's client expects: a gRPC call gets a
/// trailers-only response (HTTP 200 with <c>grpc-status</c>), anything else the HTTP code with the
/// <c>{"code", "message"}</c> body the transcoded routes use for errors.
/// </summary>
internal static class CallRefusal
{
    public static Task WriteAsync(HttpContext context, StatusCode code, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = code switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
        if (code == StatusCode.Unauthenticated)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return response.WriteAsJsonAsync(new { code = (int)code, message, details = Array.Empty<object>() }, context.RequestAborted);
    }

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
}

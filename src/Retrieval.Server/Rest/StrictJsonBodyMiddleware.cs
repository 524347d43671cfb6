using System.Text.Json;
using System.Text.Unicode;
using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using GrpcStatus = global::Grpc.Core.StatusCode;

namespace Retrieval.Server.Rest;

/// <summary>
/// Runs before JSON transcoding on every transcoded route with a body: the body must be JSON of the shape the proto
/// (and so the OpenAPI document) describes (<see cref="ProtoJsonShapeValidator"/>), and a body field bound to a path
/// parameter (<c>collection</c> in <c>/v1/collections/{collection}/…</c>) must either be absent or equal the path's
/// value: transcoding would silently let the path win. Refusals are INVALID_ARGUMENT (400) naming the field.
/// </summary>
internal sealed partial class StrictJsonBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is { } transcoding
            && transcoding.HttpRule.Body is { Length: > 0 } bodyField
            && HasBody(context.Request))
        {
            if (await CheckAsync(context, transcoding, bodyField) is { } error)
            {
                await RestErrorResponse.WriteAsync(context, GrpcStatus.InvalidArgument, error);
                return;
            }
        }

        await next(context);
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static async Task<string?> CheckAsync(HttpContext context, GrpcJsonTranscodingMetadata transcoding, string bodyField)
    {
        var request = context.Request;
        // Transcoding reads the body after us; buffering keeps it (in memory up to 30 KiB, then a temporary file).
        request.EnableBuffering();
        // The body is bounded by Kestrel's request size limit (Retrieval:MaxRequestBytes), so it is read whole.
        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        finally
        {
            request.Body.Position = 0;
        }

        // System.Text.Json checks UTF-8 only when a string is read, which would surface as an exception deep in the
        // shape check; checking the whole body first refuses it as what it is.
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!Utf8.IsValid(bytes.Span))
        {
            return "body: not valid UTF-8 (JSON text must be UTF-8)";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            return $"body: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}";
        }

        using (document)
        {
            var message = transcoding.MethodDescriptor.InputType;
            if (bodyField == "*")
            {
                return ProtoJsonShapeValidator.Validate(document.RootElement, message)
                    ?? CheckPathParameters(document.RootElement, message, transcoding.HttpRule, context.Request.RouteValues);
            }

            var field = message.FindFieldByName(bodyField);
            return field is null
                ? null
                : ProtoJsonShapeValidator.Validate(document.RootElement, field.MessageType ?? message, field.JsonName);
        }
    }

    private static string? CheckPathParameters(JsonElement body, MessageDescriptor message, HttpRule rule, RouteValueDictionary routeValues)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (Match variable in PathVariable().Matches(PatternOf(rule)))
        {
            var name = variable.Groups["name"].Value;
            if (name.Contains('.', StringComparison.Ordinal) || message.FindFieldByName(name) is not { } field)
            {
                continue;
            }

            foreach (var property in body.EnumerateObject())
            {
                if ((property.Name == field.JsonName || property.Name == field.Name)
                    && property.Value.ValueKind == JsonValueKind.String
                    && routeValues.TryGetValue(name, out var routeValue)
                    && !string.Equals(property.Value.GetString(), Convert.ToString(routeValue, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
                {
                    return $"{field.JsonName}: the body says '{property.Value.GetString()}' but the path says '{routeValue}'; leave it out of the body";
                }
            }
        }

        return null;
    }

    private static string PatternOf(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => rule.Get,
        HttpRule.PatternOneofCase.Post => rule.Post,
        HttpRule.PatternOneofCase.Put => rule.Put,
        HttpRule.PatternOneofCase.Patch => rule.Patch,
        HttpRule.PatternOneofCase.Delete => rule.Delete,
        HttpRule.PatternOneofCase.Custom => rule.Custom.Path,
        _ => string.Empty,
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_.]+)(=[^}]*)?\}")]
    private static partial Regex PathVariable();
}

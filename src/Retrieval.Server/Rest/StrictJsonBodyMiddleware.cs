using System.Buffers;
using System.Text;
using System.Text.Json;
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
            && transcoding.HttpRule.Body is { Length: > 0 } bodyField)
        {
            // An empty body (Content-Length: 0) is refused by the transcoder naming nothing; a request with no body
            // at all is left to it.
            var error = context.Request.ContentLength == 0
                ? "body: empty; expected a JSON object"
                : HasBody(context.Request) ? await CheckAsync(context, transcoding, bodyField) : null;
            if (error is not null)
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
        JsonDocument document;
        try
        {
            // The JSON parser checks UTF-8 only where it decodes a string, so invalid bytes inside a string value would
            // pass here and then either throw in the shape check (HTTP 500) or be refused by transcoding naming nothing.
            if (await FindInvalidUtf8Async(request.Body, context.RequestAborted) is { } invalid)
            {
                return invalid;
            }

            request.Body.Position = 0;
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            return $"body: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}";
        }
        finally
        {
            request.Body.Position = 0;
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

    /// <summary>The first invalid UTF-8 sequence in <paramref name="body"/> as a refusal, or null when all of it is UTF-8.</summary>
    private static async Task<string?> FindInvalidUtf8Async(Stream body, CancellationToken cancellationToken)
    {
        const int ChunkSize = 16 * 1024;
        var decoder = StrictUtf8.GetDecoder();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        long offset = 0;
        try
        {
            int read;
            do
            {
                read = await body.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken);
                try
                {
                    // The decoder carries a sequence split across two chunks over; flushing at the end refuses one cut short.
                    decoder.GetCharCount(buffer, 0, read, flush: read == 0);
                }
                catch (DecoderFallbackException e)
                {
                    return $"body: not valid UTF-8 text (invalid byte sequence near byte {offset + Math.Max(e.Index, 0) + 1})";
                }

                offset += read;
            }
            while (read > 0);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.OpenApi.Models;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Sends real requests to the server and checks each response against the served OpenAPI document: the status is the
/// expected one, the content type is one the operation documents for that status, and a JSON body conforms to the
/// documented schema (<see cref="SchemaConformance"/>). Remembers which operations it checked, so a test can require
/// that every documented operation was.
/// </summary>
internal sealed partial class ResponseRoundTrip(HttpClient rest, OpenApiDocument document)
{
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    /// <summary>The operationIds whose successful response was checked.</summary>
    public IReadOnlySet<string> Checked => _checked;

    /// <summary>Sends a JSON body (or none) and returns the parsed JSON answer after checking it.</summary>
    public Task<JsonElement> CallAsync(HttpMethod method, string path, string? body = null, HttpStatusCode expected = HttpStatusCode.OK) =>
        SendAsync(method, path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"), expected);

    /// <summary>Sends any content (multipart) and returns the parsed JSON answer after checking it.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var (text, mediaType) = await ExchangeAsync(method, path, content, expected);
        var json = JsonDocument.Parse(text).RootElement.Clone();
        var errors = new List<string>();
        SchemaConformance.Check(json, mediaType.Schema, "$", errors);
        Assert.True(errors.Count == 0, $"{method} {path} answered {text}\nwhich does not conform: {string.Join("; ", errors)}");
        return json;
    }

    /// <summary>
    /// A route that answers something other than JSON (plain text, a binary descriptor set): the content type is the
    /// documented one and the documented schema is a string, which any such body is.
    /// </summary>
    public async Task CallNonJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var (text, mediaType) = await ExchangeAsync(HttpMethod.Get, path, null, expected);
        Assert.True(mediaType.Schema?.Type == "string", $"GET {path}: the documented schema of a non-JSON body is {mediaType.Schema?.Type ?? "absent"}, not a string");
        Assert.False(string.IsNullOrEmpty(text), $"GET {path} answered an empty body");
    }

    /// <summary>
    /// A route that answers a binary file (a snapshot archive): the content type is the documented one and the documented
    /// schema is a string; returns the bytes.
    /// </summary>
    public async Task<byte[]> CallBinaryAsync(string path)
    {
        var (body, mediaType) = await ExchangeBytesAsync(HttpMethod.Get, path, null, HttpStatusCode.OK);
        Assert.True(mediaType.Schema?.Type == "string", $"GET {path}: the documented schema of a binary body is {mediaType.Schema?.Type ?? "absent"}, not a string");
        Assert.NotEmpty(body);
        return body;
    }

    private async Task<(string Text, OpenApiMediaType MediaType)> ExchangeAsync(HttpMethod method, string path, HttpContent? content, HttpStatusCode expected)
    {
        var (body, mediaType) = await ExchangeBytesAsync(method, path, content, expected);
        return (Encoding.UTF8.GetString(body), mediaType);
    }

    private async Task<(byte[] Body, OpenApiMediaType MediaType)> ExchangeBytesAsync(HttpMethod method, string path, HttpContent? content, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        using var response = await rest.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var text = Encoding.UTF8.GetString(body);
        Assert.True(expected == response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");

        var operation = FindOperation(method, path);
        var code = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var documented = operation.Responses.TryGetValue(code, out var exact) ? exact
            : operation.Responses.TryGetValue("default", out var fallback) && !response.IsSuccessStatusCode ? fallback
            : throw new Xunit.Sdk.XunitException($"{method} {path} answered {code}, which operation {operation.OperationId} does not document");
        var contentType = response.Content.Headers.ContentType?.MediaType
            ?? throw new Xunit.Sdk.XunitException($"{method} {path} answered {code} without a content type");
        Assert.True(documented.Content.TryGetValue(contentType, out var mediaType),
            $"{method} {path} answered {code} as {contentType}; operation {operation.OperationId} documents {string.Join(", ", documented.Content.Keys)}");
        if (response.IsSuccessStatusCode)
        {
            _checked.Add(operation.OperationId);
        }

        return (body, mediaType!);
    }

    private OpenApiOperation FindOperation(HttpMethod method, string path)
    {
        var type = Enum.Parse<OperationType>(method.Method, ignoreCase: true);
        var pathOnly = path.Split('?')[0];
        foreach (var (template, item) in document.Paths)
        {
            var pattern = "^" + PathParameter().Replace(Regex.Escape(template).Replace(@"\{", "{", StringComparison.Ordinal), "[^/:]+") + "$";
            if (Regex.IsMatch(pathOnly, pattern) && item.Operations.TryGetValue(type, out var operation))
            {
                return operation;
            }
        }

        throw new Xunit.Sdk.XunitException($"the document has no operation for {method} {path}");
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PathParameter();
}

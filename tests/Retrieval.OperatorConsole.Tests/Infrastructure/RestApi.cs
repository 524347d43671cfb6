using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Retrieval.Testing.Server;

namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>The REST calls the tests make to check what the console shows against what the API answers.</summary>
public static class RestApi
{
    public static async Task<JsonNode> GetAsync(this InProcessServer server, string path)
    {
        using var response = await server.Rest.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadAsync(response, path);
    }

    public static async Task<JsonNode> PostAsync(this InProcessServer server, string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await server.Rest.PostAsync(new Uri(path, UriKind.Relative), content);
        return await ReadAsync(response, path);
    }

    /// <summary>The console's integer format (comma grouping, as en-US).</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The console's percentage format (one decimal).</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string path)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text) ?? throw new InvalidOperationException($"{path}: empty answer");
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Models;
using Microsoft.OpenApi.Readers;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// The served OpenAPI document against the running server: it parses, names every route the server maps (found through
/// the server's own endpoint data source, so routes added later are covered without touching this test), gives every
/// operation a unique operationId, and the real responses of a REST tour conform to their operations' schemas.
/// </summary>
public sealed partial class OpenApiDocumentTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private InProcessServer Server => fixture.Server;

    [Fact]
    public async Task Document_Parses_WithoutErrors()
    {
        var (_, diagnostic) = await ReadDocumentAsync();
        Assert.Empty(diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
    }

    [Fact]
    public async Task Document_NamesEveryRouteTheServerMaps()
    {
        var (document, _) = await ReadDocumentAsync();
        var routes = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(IsRestApiRoute)
            .SelectMany(e => MethodsOf(e).Select(method => (Path: NormalizedPath(e.RoutePattern.RawText!), Method: method)))
            .Distinct()
            .ToList();
        Assert.Contains(routes, r => r.Path == "/v1/collections/{collection}/items:upsert");
        Assert.Contains(routes, r => r.Path == "/healthz");

        var missing = routes.Where(r => !document.Paths.TryGetValue(r.Path, out var item)
                || !item.Operations.ContainsKey(Enum.Parse<OperationType>(r.Method, ignoreCase: true)))
            .Select(r => $"{r.Method} {r.Path}")
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public async Task Document_GivesEveryOperationAUniqueOperationId()
    {
        var (document, _) = await ReadDocumentAsync();
        var operations = document.Paths.SelectMany(p => p.Value.Operations.Select(o => (Route: $"{o.Key} {p.Key}", o.Value.OperationId))).ToList();
        Assert.Empty(operations.Where(o => string.IsNullOrEmpty(o.OperationId)).Select(o => o.Route));
        Assert.Empty(operations.GroupBy(o => o.OperationId).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public async Task Document_MarksRequiredFieldsAndKeepsPathFieldsOutOfBodies()
    {
        var (document, _) = await ReadDocumentAsync();
        var create = BodySchema(document, "/v1/collections", OperationType.Post);
        Assert.Contains("name", create.Required);
        Assert.Contains("spaces", create.Required);
        Assert.Contains("name", create.Properties["spaces"].Items.Required);

        var upsert = BodySchema(document, "/v1/collections/{collection}/items:upsert", OperationType.Post);
        Assert.DoesNotContain("collection", upsert.Properties.Keys);
        Assert.Contains("items", upsert.Properties.Keys);
        Assert.False(upsert.AdditionalPropertiesAllowed);
    }

    [Fact]
    public async Task RestTour_EveryResponseConformsToItsOperationSchema()
    {
        var (document, _) = await ReadDocumentAsync();
        var name = TestNames.Unique("openapi");
        var c = $"/v1/collections/{name}";
        var checkedOperations = new List<string>();

        async Task Call(HttpMethod method, string path, string? body = null, HttpStatusCode expected = HttpStatusCode.OK)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await Server.Rest.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
            var operation = FindOperation(document, method, path);
            var mediaType = (response.IsSuccessStatusCode ? operation.Responses["200"] : operation.Responses["default"]).Content["application/json"];
            var errors = new List<string>();
            SchemaConformance.Check(JsonDocument.Parse(text).RootElement, mediaType.Schema, "$", errors);
            Assert.True(errors.Count == 0, $"{method} {path} answered {text}\nwhich does not conform: {string.Join("; ", errors)}");
            checkedOperations.Add(operation.OperationId);
        }

        await Call(HttpMethod.Get, "/v1/server");
        await Call(HttpMethod.Post, "/v1/collections",
            $$$"""{"name":"{{{name}}}","spaces":[{"name":"v1","dimension":3,"metric":"METRIC_COSINE","model":{"name":"m","version":"1"}}]}""");
        await Call(HttpMethod.Get, "/v1/collections");
        await Call(HttpMethod.Post, $"{c}/spaces", """{"name":"v2","dimension":2,"metric":"METRIC_L2","model":{"name":"m2"}}""");
        await Call(HttpMethod.Post, $"{c}/items:upsert",
            """{"items":[{"id":"a","payload":{"color":"red","n":1},"vectors":{"v1":{"values":[1,0,0]},"v2":{"values":[1,2]}}},{"id":"b","vectors":{"v1":{"values":[0,1,0]}}}]}""");
        await Call(HttpMethod.Post, $"{c}/items:get", """{"ids":["a","b"],"withVectors":true}""");
        await Call(HttpMethod.Post, $"{c}/items:scroll", """{"limit":1}""");
        await Call(HttpMethod.Post, $"{c}/items:count", """{"filter":{"must":[{"key":"color","match":{"value":"red"}}]}}""");
        await Call(HttpMethod.Post, $"{c}:search", """{"vector":{"values":[1,0,0]},"k":2,"withPayload":true,"withVectors":true}""");
        await Call(HttpMethod.Post, $"{c}:searchBatch", """{"searches":[{"vector":{"values":[1,0,0]},"k":1}]}""");
        await Call(HttpMethod.Post, $"{c}/spaces/v1:setIndex", """{"index":"HNSW16"}""");
        await Call(HttpMethod.Get, $"{c}/spaces/v1/index");
        await Call(HttpMethod.Post, $"{c}:setDefaultSpace", """{"space":"v1"}""");
        await Call(HttpMethod.Get, c);
        await Call(HttpMethod.Get, $"{c}/maps");
        await Call(HttpMethod.Get, $"{c}/migrations");
        await Call(HttpMethod.Get, "/v1/encoders");
        await Call(HttpMethod.Post, $"{c}/items:delete", """{"ids":["b"]}""");
        await Call(HttpMethod.Delete, $"{c}/spaces/v2");
        await Call(HttpMethod.Post, $"{c}/items:upsert", """{"items":[{"id":"x","vectors":{"v1":{"values":[1,0]}}}]}""", HttpStatusCode.BadRequest);
        await Call(HttpMethod.Post, $"{c}:search", """{"vector":{"values":[1,0,0]},"k":1,"limt":3}""", HttpStatusCode.BadRequest);
        await Call(HttpMethod.Get, "/v1/collections/no-such-collection", expected: HttpStatusCode.NotFound);
        await Call(HttpMethod.Delete, c);

        Assert.Contains("Search", checkedOperations);
        Assert.Contains("UpsertItems", checkedOperations);
    }

    private static OpenApiSchema BodySchema(OpenApiDocument document, string path, OperationType method) =>
        document.Paths[path].Operations[method].RequestBody.Content["application/json"].Schema;

    private static OpenApiOperation FindOperation(OpenApiDocument document, HttpMethod method, string path)
    {
        var type = Enum.Parse<OperationType>(method.Method, ignoreCase: true);
        foreach (var (template, item) in document.Paths)
        {
            var pattern = "^" + PathParameter().Replace(Regex.Escape(template).Replace(@"\{", "{", StringComparison.Ordinal), "[^/:]+") + "$";
            if (Regex.IsMatch(path, pattern) && item.Operations.TryGetValue(type, out var operation))
            {
                return operation;
            }
        }

        throw new Xunit.Sdk.XunitException($"the document has no operation for {method} {path}");
    }

    private async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> ReadDocumentAsync()
    {
        var text = await Server.Rest.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        var document = new OpenApiStringReader().Read(text, out var diagnostic);
        return (document, diagnostic);
    }

    /// <summary>
    /// A route of the REST API: not a native gRPC method (HTTP/2 framing, described by the protos) and not a page
    /// marked ExcludeFromDescription (the console's redirect), nor gRPC's fallbacks that answer UNIMPLEMENTED.
    /// </summary>
    private static bool IsRestApiRoute(RouteEndpoint endpoint) =>
        !endpoint.RoutePattern.Parameters.Any(p => p.Name is "unimplementedService" or "unimplementedMethod") &&
        (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is null || endpoint.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null)
        && endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
        && endpoint.RoutePattern.RawText is not null;

    private static IEnumerable<string> MethodsOf(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["GET"];

    private static string NormalizedPath(string pattern)
    {
        var path = RouteParameter().Replace(pattern, "{${name}}");
        return path.StartsWith('/') ? path : "/" + path;
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PathParameter();

    [GeneratedRegex(@"\{\*{0,2}(?<name>[A-Za-z0-9_.]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

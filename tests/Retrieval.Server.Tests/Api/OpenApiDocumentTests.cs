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
/// operation a unique operationId, and the real responses of REST tours through every operation conform to their
/// operations' schemas (<see cref="OpenApiResponseTours"/>).
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
    public async Task RestTours_EveryOperationsResponseConformsToItsSchema_AndEveryOperationIsToured()
    {
        var (document, _) = await ReadDocumentAsync();
        var trip = new ResponseRoundTrip(Server.Rest, document);

        await OpenApiResponseTours.CollectionsAndItemsAsync(trip, TestNames.Unique("openapi"));
        await OpenApiResponseTours.AliasesAsync(trip, TestNames.Unique("openapi-a"), TestNames.Unique("openapi-b"));
        await OpenApiResponseTours.KeysAsync(trip, TestNames.Unique("openapi-key"));
        await OpenApiResponseTours.EncodersAsync(trip, TestNames.Unique("openapi-enc"));
        await OpenApiResponseTours.MapsAndMigrationsAsync(trip, Server, "openapi-mig");
        await OpenApiResponseTours.SnapshotsAndClusterAsync(trip, TestNames.Unique("openapi-snap"));
        await trip.CallNonJsonAsync("/healthz");
        await trip.CallNonJsonAsync("/readyz");
        await trip.CallNonJsonAsync("/metrics");
        await trip.CallNonJsonAsync("/v1/protos/descriptor-set");

        // Every documented operation was answered and checked: an operation added to the server (and so to the
        // document, Document_NamesEveryRouteTheServerMaps) fails here until a tour round-trips its response.
        var documented = document.Paths.SelectMany(p => p.Value.Operations.Values).Select(o => o.OperationId).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(documented.Except(trip.Checked).Order(StringComparer.Ordinal));
    }

    private static OpenApiSchema BodySchema(OpenApiDocument document, string path, OperationType method) =>
        document.Paths[path].Operations[method].RequestBody.Content["application/json"].Schema;

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

    [GeneratedRegex(@"\{\*{0,2}(?<name>[A-Za-z0-9_.]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

using System.Net;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retrieval.Contracts.V1;
using Retrieval.Core.Security;
using Retrieval.Server.Security;

namespace Retrieval.Server.Tests.Security;

/// <summary>
/// Every gRPC method (from the generated descriptors) and every HTTP route (from the endpoint data source), called with
/// no key, a malformed key, an unknown key, an expired key, a revoked key, a read key and a key for other collections.
/// Nothing may mutate without the scope, nothing may read across collections, and a method or route without a declared
/// rule fails here.
/// </summary>
public sealed partial class AccessMatrixTests(SecuredServerFixture fixture) : IClassFixture<SecuredServerFixture>
{
    private static readonly FileDescriptor[] ExposedFiles =
        [.. AccessPolicies.ApiFiles, global::Grpc.Reflection.V1Alpha.ReflectionReflection.Descriptor];

    private IEnumerable<(string Name, string? Key)> BadCallers =>
    [
        ("no key", null),
        ("malformed key", "hello"),
        ("unknown key", fixture.Unknown),
        ("expired key", fixture.Expired),
        ("revoked key", fixture.Revoked),
    ];

    [Fact]
    public void EveryGrpcMethod_DeclaresARule()
    {
        var undeclared = ExposedFiles.SelectMany(f => f.Services).SelectMany(s => s.Methods)
            .Where(m => AccessPolicies.For(m.Service.FullName, m.Name) is null)
            .Select(m => m.FullName)
            .ToList();

        Assert.Empty(undeclared);
    }

    [Fact]
    public void EveryRoute_DeclaresARuleOrIsOpenOnPurpose()
    {
        var undeclared = Routes()
            .Where(e => e.Metadata.GetMetadata<AccessRequirement>() is null && e.Metadata.GetMetadata<IAllowAnonymous>() is null && !IsUnimplementedCatchAll(e))
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        var open = Routes().Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null && !IsUnimplementedCatchAll(e)).Select(e => e.RoutePattern.RawText).ToHashSet();

        Assert.Empty(undeclared);
        // Only health is open: liveness, readiness and the gRPC health service; and "/", which only redirects to the
        // console (its page asks for a key; every API call it makes needs one).
        Assert.Subset(new HashSet<string?> { "/healthz", "/readyz", "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch", "/grpc.health.v1.Health/List", "/" }, open);
    }

    [Fact]
    public async Task Grpc_EveryMethod_RefusesEveryCallerWithoutTheRightKey()
    {
        var failures = new List<string>();
        var unauthorizedMutations = 0;
        var crossCollectionReads = 0;
        foreach (var method in ExposedFiles.SelectMany(f => f.Services).SelectMany(s => s.Methods))
        {
            var rule = AccessPolicies.For(method.Service.FullName, method.Name)!;
            foreach (var (name, key) in BadCallers)
            {
                var (status, _) = await CallAsync(method, rule, key);
                Expect(failures, method.FullName, name, StatusCode.Unauthenticated, status);
                unauthorizedMutations += rule.Mutates && status == StatusCode.OK ? 1 : 0;
            }

            if (rule.Scope > ApiKeyScope.Read)
            {
                var (status, _) = await CallAsync(method, rule, fixture.Read);
                Expect(failures, method.FullName, "read key", StatusCode.PermissionDenied, status);
                unauthorizedMutations += status == StatusCode.OK ? 1 : 0;
            }

            var (otherStatus, response) = await CallAsync(method, rule, fixture.OtherAdmin);
            switch (rule.Binding)
            {
                case CollectionBinding.Field or CollectionBinding.Global:
                    Expect(failures, method.FullName, "key for other collections", StatusCode.PermissionDenied, otherStatus);
                    unauthorizedMutations += rule.Mutates && otherStatus == StatusCode.OK ? 1 : 0;
                    crossCollectionReads += !rule.Mutates && otherStatus == StatusCode.OK ? 1 : 0;
                    break;
                case CollectionBinding.Listing:
                    var names = ((ListCollectionsResponse)response!).Collections.Select(c => c.Name).ToList();
                    Assert.Contains(SecuredServerFixture.Other, names);
                    crossCollectionReads += names.Contains(SecuredServerFixture.Victim) ? 1 : 0;
                    break;
            }
        }

        Assert.Empty(failures);
        Assert.Equal(0, unauthorizedMutations);
        Assert.Equal(0, crossCollectionReads);
        await AssertVictimUntouchedAsync();
    }

    [Fact]
    public async Task Rest_EveryRoute_RefusesEveryCallerWithoutTheRightKey()
    {
        var failures = new List<string>();
        var unauthorizedMutations = 0;
        var crossCollectionReads = 0;
        var routes = Routes().Where(e => !IsNativeGrpc(e) && e.Metadata.GetMetadata<AccessRequirement>() is not null).ToList();
        Assert.Contains(routes, e => e.RoutePattern.RawText == "/v1/encoders:upload");
        Assert.Contains(routes, e => e.RoutePattern.RawText == "/metrics");
        Assert.True(routes.Count > 40, $"only {routes.Count} REST routes found");
        foreach (var route in routes)
        {
            var rule = route.Metadata.GetMetadata<AccessRequirement>()!;
            var label = $"{Verb(route)} {route.RoutePattern.RawText}";
            foreach (var (name, key) in BadCallers)
            {
                var status = await SendAsync(route, key);
                ExpectHttp(failures, label, name, HttpStatusCode.Unauthorized, status);
                unauthorizedMutations += rule.Mutates && IsSuccess(status) ? 1 : 0;
            }

            if (rule.Scope > ApiKeyScope.Read)
            {
                var status = await SendAsync(route, fixture.Read);
                ExpectHttp(failures, label, "read key", HttpStatusCode.Forbidden, status);
                unauthorizedMutations += IsSuccess(status) ? 1 : 0;
            }

            if (rule.Binding is CollectionBinding.Field or CollectionBinding.Global)
            {
                var status = await SendAsync(route, fixture.OtherAdmin);
                ExpectHttp(failures, label, "key for other collections", HttpStatusCode.Forbidden, status);
                unauthorizedMutations += rule.Mutates && IsSuccess(status) ? 1 : 0;
                crossCollectionReads += !rule.Mutates && IsSuccess(status) ? 1 : 0;
            }
        }

        Assert.Empty(failures);
        Assert.Equal(0, unauthorizedMutations);
        Assert.Equal(0, crossCollectionReads);
        await AssertVictimUntouchedAsync();
    }

    [Fact]
    public async Task Refusals_DoNotTellWhetherACollectionExists()
    {
        var existing = await CallAsync(Method("retrieval.v1.Search", "Search"), "victim", fixture.OtherAdmin);
        var missing = await CallAsync(Method("retrieval.v1.Search", "Search"), "no-such-collection", fixture.OtherAdmin);
        var anonymousExisting = await CallAsync(Method("retrieval.v1.Search", "Search"), "victim", null);
        var anonymousMissing = await CallAsync(Method("retrieval.v1.Search", "Search"), "no-such-collection", null);

        Assert.Equal(StatusCode.PermissionDenied, existing.StatusCode);
        Assert.Equal(existing.StatusCode, missing.StatusCode);
        Assert.Equal(existing.Detail.Replace("victim", "X", StringComparison.Ordinal), missing.Detail.Replace("no-such-collection", "X", StringComparison.Ordinal));
        Assert.Equal(StatusCode.Unauthenticated, anonymousExisting.StatusCode);
        Assert.Equal(anonymousExisting.Detail, anonymousMissing.Detail);
    }

    private async Task AssertVictimUntouchedAsync()
    {
        var count = await fixture.Server.Items.CountItemsAsync(new CountItemsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(fixture.Admin));
        var collection = await fixture.Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(fixture.Admin));
        var migrations = await fixture.Server.Migrations.ListMigrationsAsync(new ListMigrationsRequest { Collection = SecuredServerFixture.Victim }, SecuredServerFixture.Auth(fixture.Admin));
        Assert.Equal(3, count.Count);
        Assert.Single(collection.Spaces);
        Assert.Empty(migrations.Migrations);
    }

    private static void Expect(List<string> failures, string method, string caller, StatusCode expected, StatusCode actual)
    {
        if (actual != expected)
        {
            failures.Add($"{method} with {caller}: {actual}, expected {expected}");
        }
    }

    private static void ExpectHttp(List<string> failures, string route, string caller, HttpStatusCode expected, HttpStatusCode actual)
    {
        if (actual != expected)
        {
            failures.Add($"{route} with {caller}: {(int)actual}, expected {(int)expected}");
        }
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private IEnumerable<RouteEndpoint> Routes() =>
        fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    private static bool IsNativeGrpc(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null && !(endpoint.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) ?? false);

    /// <summary>gRPC's fallback routes that answer UNIMPLEMENTED for unknown services and methods: they run no service code.</summary>
    private static bool IsUnimplementedCatchAll(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.RawText?.Contains("{unimplemented", StringComparison.OrdinalIgnoreCase) == true;

    private async Task<HttpStatusCode> SendAsync(RouteEndpoint route, string? key)
    {
        var verb = Verb(route);
        var path = RouteParameter().Replace(route.RoutePattern.RawText!, match =>
            match.Groups[1].Value is "collection" or "name" ? SecuredServerFixture.Victim : "x");
        using var request = new HttpRequestMessage(new HttpMethod(verb), new Uri(path, UriKind.Relative));
        if (verb is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await fixture.Rest(key).SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The route's first HTTP method; routes mapped for any method (metrics) are called with GET.</summary>
    private static string Verb(RouteEndpoint route) => route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : "GET";

    private static MethodDescriptor Method(string service, string name) =>
        AccessPolicies.ApiFiles.SelectMany(f => f.Services).Single(s => s.FullName == service).FindMethodByName(name);

    private async Task<Status> CallAsync(MethodDescriptor method, string collection, string? key)
    {
        var rule = AccessPolicies.For(method.Service.FullName, method.Name)!;
        var request = method.InputType.Parser.ParseFrom(ByteString.Empty);
        rule.CollectionField!.Accessor.SetValue(request, collection);
        var (status, _) = await InvokeAsync(method, request, key);
        return status;
    }

    private Task<(StatusCode, IMessage?)> CallAsync(MethodDescriptor method, AccessRequirement rule, string? key)
    {
        var request = method.InputType.Parser.ParseFrom(ByteString.Empty);
        rule.CollectionField?.Accessor.SetValue(request, SecuredServerFixture.Victim);
        return InvokeAsync(method, request, key).ContinueWith(t => (t.Result.Status.StatusCode, t.Result.Response), TaskScheduler.Default);
    }

    /// <summary>Calls any method of the API by its descriptor: one request message, then the status (and the response when OK).</summary>
    private async Task<(Status Status, IMessage? Response)> InvokeAsync(MethodDescriptor descriptor, IMessage request, string? key)
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var method = new Method<IMessage, IMessage>(
            type,
            descriptor.Service.FullName,
            descriptor.Name,
            Marshallers.Create<IMessage>(m => m.ToByteArray(), b => descriptor.InputType.Parser.ParseFrom(b)),
            Marshallers.Create<IMessage>(m => m.ToByteArray(), b => descriptor.OutputType.Parser.ParseFrom(b)));
        var invoker = fixture.Server.Channel.CreateCallInvoker();
        var options = new CallOptions(SecuredServerFixture.Auth(key), DateTime.UtcNow.AddSeconds(30));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    return (Status.DefaultSuccess, await invoker.AsyncUnaryCall(method, null, options, request));
                case MethodType.ClientStreaming:
                {
                    using var call = invoker.AsyncClientStreamingCall(method, null, options);
                    await WriteQuietlyAsync(call.RequestStream, request);
                    return (Status.DefaultSuccess, await call.ResponseAsync);
                }

                case MethodType.ServerStreaming:
                {
                    using var call = invoker.AsyncServerStreamingCall(method, null, options, request);
                    IMessage? first = await call.ResponseStream.MoveNext(CancellationToken.None) ? call.ResponseStream.Current : null;
                    return (Status.DefaultSuccess, first);
                }

                default:
                {
                    using var call = invoker.AsyncDuplexStreamingCall(method, null, options);
                    await WriteQuietlyAsync(call.RequestStream, request);
                    IMessage? first = null;
                    while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    {
                        first ??= call.ResponseStream.Current;
                    }

                    return (Status.DefaultSuccess, first);
                }
            }
        }
        catch (RpcException e)
        {
            return (e.Status, null);
        }
    }

    /// <summary>Writes one message and completes; a server that already refused the call may have closed the stream.</summary>
    private static async Task WriteQuietlyAsync(IClientStreamWriter<IMessage> stream, IMessage request)
    {
        try
        {
            await stream.WriteAsync(request);
            await stream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The call's status (read next) says why.
        }
        catch (InvalidOperationException)
        {
            // Writing after the server completed the call: its status (read next) says why.
        }
    }

    [GeneratedRegex(@"\{\**([A-Za-z_]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

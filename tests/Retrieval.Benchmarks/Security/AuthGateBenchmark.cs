using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Retrieval.Benchmarks.Encoders;
using Retrieval.Contracts.V1;
using Retrieval.Core.Security;
using Retrieval.Server.Security;

namespace Retrieval.Benchmarks.Security;

/// <summary>
/// In-process CPU cost of authorizing one search call: the gate middleware (find the rule, read the bearer header,
/// look the key up among <c>keys</c> cached keys, verify its salted hash in constant time, check the scope) plus the
/// gRPC interceptor (check the collection against the key's patterns), against the same two components with
/// authentication disabled and against no components at all. One thread, thread CPU time from getrusage.
/// </summary>
internal static class AuthGateBenchmark
{
    public static void Run(int keys, int calls, int rounds)
    {
        var now = DateTimeOffset.UtcNow;
        var cache = new ApiKeyCache(TimeProvider.System);
        var stored = Enumerable.Range(0, keys)
            .Select(i => ApiKeyFactory.Create($"k{i}", ApiKeyScope.Read, i % 2 == 0 ? [] : ["docs*", "shop"], now, now.AddDays(90), "bench", out _))
            .ToList();
        var mine = ApiKeyFactory.Create("bench", ApiKeyScope.Read, ["docs*", "shop"], now, now.AddDays(90), "bench", out var token);
        stored.Add(mine);
        cache.Replace(stored);

        var request = new SearchRequest { Collection = "docs-2024", K = 10, Vector = new Vector { Values = { 1, 0, 0, 0 } } };
        var response = Task.FromResult(new SearchResponse());
        UnaryServerMethod<SearchRequest, SearchResponse> service = (_, _) => response;
        var rule = AccessPolicies.For("retrieval.v1.Search", "Search")!;

        var on = Gate(cache, "enabled", rule, token, request, service);
        var off = Gate(cache, "disabled", rule, token, request, service);
        var none = new Func<Task>(() => service(request, null!));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"## authorization of one search call, in process: {keys + 1} cached keys, {calls:N0} calls per round, median of {rounds} interleaved rounds, thread CPU time"));
        var samples = new Dictionary<string, List<double>> { ["auth on"] = [], ["auth off"] = [], ["no gate"] = [] };
        foreach (var (_, call) in new[] { ("warm-up", on), ("warm-up", off), ("warm-up", none) })
        {
            Measure(call, calls);
        }

        for (var round = 0; round < rounds; round++)
        {
            samples["auth on"].Add(Measure(on, calls));
            samples["auth off"].Add(Measure(off, calls));
            samples["no gate"].Add(Measure(none, calls));
        }

        var median = samples.ToDictionary(s => s.Key, s => s.Value.Order().ElementAt(s.Value.Count / 2));
        Console.WriteLine("| path | CPU ns per call |");
        Console.WriteLine("|---|---|");
        foreach (var (name, ns) in median)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ns:F0} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"authorization cost (auth on − no gate): {median["auth on"] - median["no gate"]:F0} ns = {(median["auth on"] - median["no gate"]) / 1000:F2} µs per call (budget 2 µs)"));
    }

    private static double Measure(Func<Task> call, int calls)
    {
        var before = ProcessCpu.ThreadNanoseconds();
        for (var i = 0; i < calls; i++)
        {
            var task = call();
            if (!task.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("the gate refused or did not complete synchronously");
            }
        }

        return (ProcessCpu.ThreadNanoseconds() - before) / calls;
    }

    /// <summary>The middleware and the interceptor as the server chains them, over one reused request context.</summary>
    private static Func<Task> Gate(
        ApiKeyCache cache, string mode, AccessRequirement rule, string token, SearchRequest request, UnaryServerMethod<SearchRequest, SearchResponse> service)
    {
        var options = Options.Create(new AuthOptions { Mode = mode });
        var interceptor = new AuthorizationInterceptor(new KeyRateLimits(options), NullLogger<AuthorizationInterceptor>.Instance);
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = $"Bearer {token}";
        http.Request.ContentType = "application/grpc";
        http.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(rule), "search"));
        var callContext = new BenchCallContext(http);
        RequestDelegate next = _ => Next();
        var middleware = new CallerAuthenticationMiddleware(
            next,
            options,
            cache,
            new ClientCertificateMap(options),
            NullLogger<CallerAuthenticationMiddleware>.Instance);
        return () => middleware.InvokeAsync(http);

        Task Next() => interceptor.UnaryServerHandler(request, callContext, service);
    }
}

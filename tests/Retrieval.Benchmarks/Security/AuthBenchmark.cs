using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Retrieval.Benchmarks.Ann;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Benchmarks.Security;

/// <summary>
/// The <c>auth</c> suite (issue 14): the in-process CPU cost of authorizing a search (<see cref="AuthGateBenchmark"/>),
/// then end-to-end search QPS over gRPC against two server processes on identical data, one with authentication
/// disabled and one with it on (every call carrying a read key limited to two collection patterns), measured in
/// interleaved rounds so drift in machine load hits both alike.
/// </summary>
internal static class AuthBenchmark
{
    private const string Collection = "docs-bench";

    public static async Task<int> RunAsync(string[] args)
    {
        var keys = int.Parse(Option(args, "--keys", "1000"), CultureInfo.InvariantCulture);
        var calls = int.Parse(Option(args, "--calls", "1000000"), CultureInfo.InvariantCulture);
        var items = int.Parse(Option(args, "--items", "20000"), CultureInfo.InvariantCulture);
        var dimension = int.Parse(Option(args, "--dim", "64"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Option(args, "--concurrency", "4"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Option(args, "--seconds", "3"), CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# auth suite on {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}"));
        AuthGateBenchmark.Run(keys, calls, rounds);
        if (!args.Contains("--gate-only"))
        {
            await EndToEndAsync(items, dimension, concurrency, seconds, rounds);
        }

        return 0;
    }

    private static async Task EndToEndAsync(int items, int dimension, int concurrency, double seconds, int rounds)
    {
        var open = new ServerConfiguration("sqlite", null);
        var closed = new ServerConfiguration("sqlite", null);
        var keyFile = Path.Combine(closed.DataDirectory, "admin.key");
        closed.Extra["Retrieval:Auth:Mode"] = "enabled";
        closed.Extra["Retrieval:Auth:BootstrapKeyFile"] = keyFile;
        try
        {
            await CompareAsync(open, closed, keyFile, items, dimension, concurrency, seconds, rounds);
        }
        finally
        {
            Directory.Delete(open.DataDirectory, recursive: true);
            Directory.Delete(closed.DataDirectory, recursive: true);
        }
    }

    private static async Task CompareAsync(
        ServerConfiguration open, ServerConfiguration closed, string keyFile, int items, int dimension, int concurrency, double seconds, int rounds)
    {
        var environment = new Dictionary<string, string>();
        await using var openServer = await ServerChild.StartAsync(open, environment, TimeSpan.FromMinutes(2));
        await using var closedServer = await ServerChild.StartAsync(closed, environment, TimeSpan.FromMinutes(2));

        var admin = (await File.ReadAllTextAsync(keyFile)).Trim();
        var adminInvoker = WithKey(closedServer.Channel.CreateCallInvoker(), admin);
        var reader = await new Keys.KeysClient(adminInvoker).CreateKeyAsync(
            new CreateKeyRequest { Name = "bench-reader", Scope = KeyScope.Read, Collections = { "docs*", "shop" } });

        var vectors = Synthetic(items, dimension, seed: 7);
        await LoadAsync(openServer.Channel.CreateCallInvoker(), vectors, dimension);
        await LoadAsync(adminInvoker, vectors, dimension);

        var queries = Synthetic(1000, dimension, seed: 11)
            .Select(v => new SearchRequest { Collection = Collection, K = 10, Vector = new Vector { Values = { v } } })
            .ToArray();
        var openSearch = new Search.SearchClient(openServer.Channel);
        var closedSearch = new Search.SearchClient(WithKey(closedServer.Channel.CreateCallInvoker(), reader.Secret));
        Func<int, Task> offCall = q => openSearch.SearchAsync(queries[q % queries.Length]).ResponseAsync;
        Func<int, Task> onCall = q => closedSearch.SearchAsync(queries[q % queries.Length]).ResponseAsync;

        await LoadGenerator.ClosedLoopAsync(concurrency, 2, offCall);
        await LoadGenerator.ClosedLoopAsync(concurrency, 2, onCall);
        var off = new List<(double Qps, double CpuMs)>();
        var on = new List<(double Qps, double CpuMs)>();
        for (var round = 0; round < rounds; round++)
        {
            off.Add(await MeasureAsync(openServer, concurrency, seconds, offCall));
            on.Add(await MeasureAsync(closedServer, concurrency, seconds, onCall));
        }

        var offMedian = off.OrderBy(r => r.Qps).ElementAt(rounds / 2);
        var onMedian = on.OrderBy(r => r.Qps).ElementAt(rounds / 2);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"## end to end: gRPC Search, {items:N0} × {dimension}-d exact, k=10, closed loop at concurrency {concurrency}, {seconds} s per point, median of {rounds} interleaved rounds"));
        Console.WriteLine("| server | QPS | server CPU ms/q | rounds (QPS) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row("auth off", offMedian, off));
        Console.WriteLine(Row("auth on (read key, 2 patterns)", onMedian, on));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"auth on / auth off: {onMedian.Qps / offMedian.Qps:F3}× QPS (target ≥ 0.97×); server CPU per query {onMedian.CpuMs / offMedian.CpuMs:F3}×"));
    }

    private static async Task<(double Qps, double CpuMs)> MeasureAsync(ServerChild server, int concurrency, double seconds, Func<int, Task> call)
    {
        var cpuBefore = server.CpuMilliseconds();
        var result = await LoadGenerator.ClosedLoopAsync(concurrency, seconds, call);
        return (result.Qps, (server.CpuMilliseconds() - cpuBefore) / Math.Max(1, result.Latency.Count));
    }

    private static string Row(string name, (double Qps, double CpuMs) median, List<(double Qps, double CpuMs)> all) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {median.Qps:F0} | {median.CpuMs:F3} | {string.Join(", ", all.Select(r => r.Qps.ToString("F0", CultureInfo.InvariantCulture)))} |");

    private static async Task LoadAsync(CallInvoker invoker, float[][] vectors, int dimension)
    {
        await new Collections.CollectionsClient(invoker).CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = Collection,
            Spaces = { new Space { Name = "v1", Dimension = dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "bench", Version = "1" } } },
        });
        var items = new Items.ItemsClient(invoker);
        foreach (var chunk in vectors.Select((v, i) => (v, i)).Chunk(2000))
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            request.Items.Add(chunk.Select(c => new Item { Id = $"item-{c.i}", Vectors = { ["v1"] = new Vector { Values = { c.v } } } }));
            await items.UpsertItemsAsync(request);
        }
    }

    private static CallInvoker WithKey(CallInvoker invoker, string key) =>
        invoker.Intercept(metadata =>
        {
            metadata.Add("authorization", $"Bearer {key}");
            return metadata;
        });

    private static float[][] Synthetic(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray();
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}

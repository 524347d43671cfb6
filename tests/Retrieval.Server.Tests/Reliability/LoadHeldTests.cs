using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// A held loopback load on a child server process (SQLite): writers upsert batches over a fixed set of ids (so the data
/// stops growing once every id is written), gRPC and REST clients search, and a few requests are deliberately bad. The
/// load runs <c>RETRIEVAL_LOAD_SECONDS</c> (default 60, what CI runs) and is sampled every few seconds: throughput,
/// p50/p99 latency, errors, the server's resident set (/proc/&lt;pid&gt;/status) and managed heap (the runtime's
/// <c>dotnet.gc.last_collection.heap.size</c> on /metrics). After warm-up the memory must stop growing
/// (<see cref="GrowthLimit"/>); no call may fail except the deliberate ones, each refused with INVALID_ARGUMENT / 400;
/// and at the end every id holds its last acknowledged write.
/// </summary>
public sealed class LoadHeldTests(ITestOutputHelper output)
{
    private const string Collection = "load";
    private const int Dimension = 64;
    private const int Writers = 2;
    private const int IdsPerWriter = 5_000;
    private const int BatchSize = 50;
    private const int GrpcSearchers = 2;

    /// <summary>Every this many batches a writer sends a batch the server must refuse (a vector of the wrong dimension).</summary>
    private const int DeliberateEvery = 40;

    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(30);

    /// <summary>How long the load runs: <c>RETRIEVAL_LOAD_SECONDS</c>, default 60 (CI).</summary>
    private static TimeSpan Duration
    {
        get
        {
            var setting = Environment.GetEnvironmentVariable("RETRIEVAL_LOAD_SECONDS");
            if (string.IsNullOrEmpty(setting))
            {
                return TimeSpan.FromSeconds(60);
            }

            return int.TryParse(setting, CultureInfo.InvariantCulture, out var seconds) && seconds >= 30
                ? TimeSpan.FromSeconds(seconds)
                : throw new ArgumentException($"RETRIEVAL_LOAD_SECONDS must be a whole number of seconds, at least 30; it is '{setting}'");
        }
    }

    /// <summary>The memory is probed every second.</summary>
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);

    /// <summary>Reports about every 5 s, and no more than 120 lines in a long run.</summary>
    private static TimeSpan SampleEvery => TimeSpan.FromSeconds(Math.Max(5, Duration.TotalSeconds / 120));

    /// <summary>
    /// Warm-up, excluded from the growth check: a third of the run, at least 20 s. In it the JIT tiers up, the
    /// server GC sizes its generations, SQLite's page cache fills, and the segment optimiser has sealed and indexed
    /// the first rewrites.
    /// </summary>
    private static TimeSpan WarmUp => TimeSpan.FromSeconds(Math.Max(20, Duration.TotalSeconds / 3));

    /// <summary>
    /// How much the memory may grow from the first to the last quarter of the measured part. Runs of 10 minutes or more
    /// hold the issue's target, 5 %. A shorter run (CI's 60 s) is still in the ramp-up: on the 2-core machine the
    /// resident set kept rising for the first minutes (the GC's budgets, the thread pool and native allocators growing
    /// with the throughput, which itself swings with the machine's load) before it stayed within a few percent for the
    /// rest of a 10-minute run; 60-s runs measured +2 % on a quiet machine and +6 to +16 % under heavy load. So 60 s is
    /// held to 25 %: with the 20 000–180 000 requests between the quarters of such a run that still fails a leak of a
    /// few KiB per request, which is what CI can honestly promise; the 10-minute run on demand is the check of the
    /// target (docs/reliability.md, "Load held").
    /// </summary>
    private static double GrowthLimit => Duration >= TimeSpan.FromMinutes(10) ? 0.05 : 0.25;

    /// <summary>
    /// In a run shorter than 10 minutes, a quarter holds only 10–30 probes, and the managed heap after a collection
    /// swings between about 25 and 65 MiB with the GC's timing, so its floor moved by up to 5 MiB (+20 %) between
    /// quarters of 60-s runs without any growth behind it. There the heap fails only when it also grew more than
    /// 8 MiB, which a leak of about 1 KiB per request exceeds over the 20 000–180 000 requests between the quarters;
    /// 10-minute runs (100+ probes a quarter, floor within 0.3 %) are held to the percentage alone.
    /// </summary>
    private static double HeapNoiseBytes => Duration >= TimeSpan.FromMinutes(10) ? 0 : 8 * 1048576.0;

    [Fact]
    public async Task HeldLoad_MixedSearchAndUpsert_NoErrors_MemoryStopsGrowing_AndEveryAcknowledgedWritePresent()
    {
        await using var store = await ChildServerStore.SqliteAsync();
        await using var server = await ChildServerProcess.StartAsync(store.Configuration, TimeSpan.FromSeconds(60));
        await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = Collection,
            Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "1" }, Index = "HNSW32" } },
        });

        // Every id written once before the clock starts: the load then rewrites, so the data set has its final size.
        var acknowledged = new int[Writers * IdsPerWriter];
        for (var w = 0; w < Writers; w++)
        {
            foreach (var chunk in Enumerable.Range(0, IdsPerWriter).Chunk(500))
            {
                await server.Items.UpsertItemsAsync(Batch(w, chunk, version: 0), deadline: DateTime.UtcNow + CallDeadline);
            }
        }

        var counters = new Counters();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>();
        for (var w = 0; w < Writers; w++)
        {
            var writer = w;
            tasks.Add(Task.Run(() => WriteLoopAsync(server, writer, acknowledged, counters, stop.Token)));
        }

        for (var s = 0; s < GrpcSearchers; s++)
        {
            var seed = s;
            tasks.Add(Task.Run(() => GrpcSearchLoopAsync(server, seed, counters, stop.Token)));
        }

        tasks.Add(Task.Run(() => RestSearchLoopAsync(server, counters, stop.Token)));

        var samples = new List<LoadSample>();
        var probes = new List<MemoryProbe>();
        output.WriteLine($"load: {Writers} writers (batches of {BatchSize} over {Writers * IdsPerWriter} ids, dimension {Dimension}, HNSW32), " +
            $"{GrpcSearchers} gRPC and 1 REST searchers (k=10, with payload); {Duration.TotalSeconds:F0} s, reported every {SampleEvery.TotalSeconds:F0} s, " +
            $"memory probed every {ProbeEvery.TotalSeconds:F0} s, warm-up {WarmUp.TotalSeconds:F0} s; server pid {server.ProcessId}");
        output.WriteLine(LoadSample.Header);
        try
        {
            var nextReport = SampleEvery;
            while (clock.Elapsed < Duration)
            {
                var wait = ProbeEvery - TimeSpan.FromTicks(clock.Elapsed.Ticks % ProbeEvery.Ticks);
                await Task.WhenAny(Task.Delay(wait), Task.WhenAll(tasks));
                if (tasks.FirstOrDefault(t => t.IsFaulted) is { } faulted)
                {
                    Assert.Fail($"a client loop failed: {faulted.Exception}; {server.Diagnostics()}");
                }

                Assert.False(server.HasExited, $"the server exited under load; {server.Diagnostics()}");
                var probe = await ProbeAsync(server, clock.Elapsed);
                probes.Add(probe);
                if (clock.Elapsed >= nextReport)
                {
                    var sample = LoadSample.Of(probe, counters.TakeWindow());
                    samples.Add(sample);
                    output.WriteLine(sample.Format(SampleEvery));
                    nextReport += SampleEvery;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(tasks).WaitAsync(CallDeadline + TimeSpan.FromSeconds(10));
        }

        var errors = counters.ErrorMessages.ToList();
        var (searches, upserts) = counters.All();
        var calls = searches.Count + upserts.Count + samples.Sum(s => s.Deliberate) + errors.Count;
        var totals = string.Create(CultureInfo.InvariantCulture,
            $"{searches.Count} searches (p50 {LoadSample.Quantile(searches, 0.5):F1} ms, p99 {LoadSample.Quantile(searches, 0.99):F1} ms), " +
            $"{upserts.Count} upsert batches of {BatchSize} (p50 {LoadSample.Quantile(upserts, 0.5):F1} ms, p99 {LoadSample.Quantile(upserts, 0.99):F1} ms), " +
            $"{samples.Sum(s => s.Deliberate)} deliberate refusals; {errors.Count} errors in {calls} calls ({100.0 * errors.Count / Math.Max(1, calls):F3} %)");
        output.WriteLine(totals);
        Assert.True(errors.Count == 0, $"{errors.Count} calls failed under load: {string.Join("; ", errors.Take(10))}; {server.Diagnostics()}");
        Assert.True(searches.Count > 0 && upserts.Count > 0, $"the load did not run: {totals}");
        Assert.True(samples.Sum(s => s.Deliberate) > 0, "no deliberate bad request was sent: the refusals were not exercised");

        var measured = probes.Where(p => p.At >= WarmUp).ToList();
        Assert.True(measured.Count >= 8, $"only {measured.Count} memory probes after the warm-up: too few to judge growth");
        var rss = Growth("resident set (median)", measured, p => p.RssBytes, Median);
        var heap = Growth("managed heap (floor: 10th percentile)", measured, p => p.ManagedHeapBytes, Floor);
        Assert.True(rss.Percent <= GrowthLimit, string.Create(CultureInfo.InvariantCulture,
            $"the resident set grew {rss.Percent * 100:+0.0} % after warm-up; the limit is {GrowthLimit * 100:F0} %"));
        Assert.True(heap.Percent <= GrowthLimit || heap.Bytes <= HeapNoiseBytes, string.Create(CultureInfo.InvariantCulture,
            $"the managed heap grew {heap.Percent * 100:+0.0} % ({heap.Bytes / 1048576.0:F1} MiB) after warm-up; the limit is {GrowthLimit * 100:F0} %" +
            $"{(HeapNoiseBytes > 0 ? $" beyond {HeapNoiseBytes / 1048576.0:F0} MiB" : string.Empty)}"));

        await AssertEveryAcknowledgedWritePresentAsync(server, acknowledged);
    }

    /// <summary>
    /// Growth of <paramref name="statistic"/> over the last quarter of the probes against the first quarter. The resident
    /// set moves smoothly, so its median; the managed heap after a collection swings with the GC's timing (a gen0
    /// collection leaves more behind than a gen2), so its floor, the heap right after the fullest collections, which is
    /// what a leak raises.
    /// </summary>
    private (double Percent, double Bytes) Growth(string what, List<MemoryProbe> measured, Func<MemoryProbe, long> memory, Func<IEnumerable<long>, double> statistic)
    {
        var quarter = Math.Max(1, measured.Count / 4);
        var start = statistic(measured.Take(quarter).Select(memory));
        var end = statistic(measured.TakeLast(quarter).Select(memory));
        var growth = (end - start) / start;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {start / 1048576.0:F1} MiB in the first quarter after warm-up, {end / 1048576.0:F1} MiB in the last: {growth * 100:+0.0;-0.0} % (limit {GrowthLimit * 100:F0} %)"));
        return (growth, end - start);
    }

    private static double Floor(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Floor(0.1 * (sorted.Count - 1))];
    }

    private static double Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2.0;
    }

    private static async Task<MemoryProbe> ProbeAsync(ChildServerProcess server, TimeSpan at)
    {
        var (heap, gen2) = await ManagedHeapAsync(server);
        var (rss, anon) = ResidentSetBytes(server.ProcessId);
        return new MemoryProbe(at, rss, anon, heap, gen2);
    }

    /// <summary>VmRSS and RssAnon of the server process, from /proc/&lt;pid&gt;/status (kB).</summary>
    private static (long Rss, long Anon) ResidentSetBytes(int pid)
    {
        long rss = -1;
        long anon = -1;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line["VmRSS:".Length..]);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kilobytes(line["RssAnon:".Length..]);
            }
        }

        return rss >= 0 && anon >= 0 ? (rss, anon) : throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS or RssAnon line");

        static long Kilobytes(string value) => long.Parse(value.Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// The managed heap after the last collection (every generation, large and pinned object heaps included) and the
    /// number of gen2 collections, from the runtime's own meter as the server exports it on /metrics.
    /// </summary>
    private static async Task<(long HeapBytes, long Gen2)> ManagedHeapAsync(ChildServerProcess server)
    {
        using var timeout = new CancellationTokenSource(CallDeadline);
        var text = await server.Rest.GetStringAsync(new Uri("/metrics", UriKind.Relative), timeout.Token);
        long heap = 0;
        long gen2 = -1;
        var heapSeen = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("system_runtime_dotnet_gc_last_collection_heap_size{", StringComparison.Ordinal))
            {
                heap += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                heapSeen = true;
            }
            else if (line.StartsWith("system_runtime_dotnet_gc_collections{gc_heap_generation=\"gen2\"}", StringComparison.Ordinal))
            {
                gen2 = (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        Assert.True(heapSeen, "/metrics has no system_runtime_dotnet_gc_last_collection_heap_size series");
        return (heap, gen2);
    }

    private static async Task WriteLoopAsync(ChildServerProcess server, int writer, int[] acknowledged, Counters counters, CancellationToken stop)
    {
        var ids = Enumerable.Range(0, IdsPerWriter).ToArray();
        var cursor = 0;
        for (var batch = 1; !stop.IsCancellationRequested; batch++)
        {
            if (batch % DeliberateEvery == 0)
            {
                await DeliberateBadUpsertAsync(server, writer, counters);
            }

            var chunk = Enumerable.Range(cursor, BatchSize).Select(i => ids[i % IdsPerWriter]).ToArray();
            cursor = (cursor + BatchSize) % IdsPerWriter;
            var request = Batch(writer, chunk, batch);
            var started = Stopwatch.GetTimestamp();
            try
            {
                // Not cancelled at the end: a batch in flight finishes, so whether it was acknowledged is known.
                await server.Items.UpsertItemsAsync(request, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: CancellationToken.None);
                counters.Upserted(Stopwatch.GetElapsedTime(started));
                foreach (var k in chunk)
                {
                    acknowledged[(writer * IdsPerWriter) + k] = batch;
                }
            }
            catch (RpcException e)
            {
                counters.Failed($"upsert: {e.StatusCode} {e.Status.Detail}");
            }
        }
    }

    private static async Task DeliberateBadUpsertAsync(ChildServerProcess server, int writer, Counters counters)
    {
        var bad = new Item { Id = $"w{writer}-bad" };
        bad.Vectors.Add("v1", new Vector { Values = { 1f, 2f } });
        try
        {
            await server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = Collection, Items = { bad } }, deadline: DateTime.UtcNow + CallDeadline);
            counters.Failed("a vector of dimension 2 in a space of dimension 64 was acknowledged");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            counters.Refused();
        }
        catch (RpcException e)
        {
            counters.Failed($"deliberate bad upsert: {e.StatusCode} {e.Status.Detail} (expected INVALID_ARGUMENT)");
        }
    }

    private static async Task GrpcSearchLoopAsync(ChildServerProcess server, int seed, Counters counters, CancellationToken stop)
    {
        var random = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            var request = new SearchRequest { Collection = Collection, Space = "v1", Vector = new Vector { Values = { RandomVector(random) } }, K = 10, WithPayload = true };
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = await server.Search.SearchAsync(request, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: CancellationToken.None);
                if (response.Hits.Count != 10)
                {
                    counters.Failed($"search answered {response.Hits.Count} hits of 10 over {Writers * IdsPerWriter} items");
                    continue;
                }

                counters.Searched(Stopwatch.GetElapsedTime(started));
            }
            catch (RpcException e)
            {
                counters.Failed($"gRPC search: {e.StatusCode} {e.Status.Detail}");
            }
        }
    }

    /// <summary>Searches over REST (JSON transcoding); every 50th request misspells a field and must get 400.</summary>
    private static async Task RestSearchLoopAsync(ChildServerProcess server, Counters counters, CancellationToken stop)
    {
        var random = new Random(99);
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            var deliberate = n % 50 == 0;
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["space"] = "v1",
                ["vector"] = new { values = RandomVector(random) },
                [deliberate ? "limt" : "k"] = 10,
                ["withPayload"] = true,
            });
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = new CancellationTokenSource(CallDeadline);
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await server.Rest.PostAsync(new Uri($"/v1/collections/{Collection}:search", UriKind.Relative), content, timeout.Token);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                if (deliberate)
                {
                    if (response.StatusCode == HttpStatusCode.BadRequest && text.Contains("limt", StringComparison.Ordinal))
                    {
                        counters.Refused();
                    }
                    else
                    {
                        counters.Failed($"REST search with an unknown field answered {(int)response.StatusCode} {text} (expected 400 naming 'limt')");
                    }
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    counters.Failed($"REST search: {(int)response.StatusCode} {text}");
                }
                else
                {
                    counters.Searched(Stopwatch.GetElapsedTime(started));
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                counters.Failed($"REST search: {e.GetType().Name} {e.Message}");
            }
            catch (TaskCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static async Task AssertEveryAcknowledgedWritePresentAsync(ChildServerProcess server, int[] acknowledged)
    {
        var checkedItems = 0;
        for (var w = 0; w < Writers; w++)
        {
            foreach (var chunk in Enumerable.Range(0, IdsPerWriter).Chunk(1_000))
            {
                var got = await server.Items.GetItemsAsync(
                    new GetItemsRequest { Collection = Collection, Ids = { chunk.Select(k => Id(w, k)) }, WithVectors = true },
                    deadline: DateTime.UtcNow + CallDeadline);
                var byId = got.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
                foreach (var k in chunk)
                {
                    var version = acknowledged[(w * IdsPerWriter) + k];
                    Assert.True(byId.TryGetValue(Id(w, k), out var item), $"item {Id(w, k)} is missing");
                    // A later write may have committed without its answer arriving (none here: every call succeeded).
                    Assert.Equal(version, (int)item.Payload.Fields["version"].NumberValue);
                    // Cosine spaces store the vector normalised.
                    var expected = Normalised(VectorOf(w, k, version));
                    var actual = item.Vectors["v1"].Values;
                    Assert.True(
                        expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) < 1e-5f),
                        $"item {Id(w, k)} does not hold the vector of its last acknowledged write (version {version})");
                    checkedItems++;
                }
            }
        }

        Assert.Equal(Writers * IdsPerWriter, checkedItems);
    }

    private static UpsertItemsRequest Batch(int writer, IEnumerable<int> ids, int version)
    {
        var request = new UpsertItemsRequest { Collection = Collection };
        foreach (var k in ids)
        {
            var item = new Item
            {
                Id = Id(writer, k),
                Payload = new Struct { Fields = { ["version"] = Value.ForNumber(version), ["writer"] = Value.ForNumber(writer), ["tag"] = Value.ForString($"t{k % 17}") } },
            };
            item.Vectors.Add("v1", new Vector { Values = { VectorOf(writer, k, version) } });
            request.Items.Add(item);
        }

        return request;
    }

    private static string Id(int writer, int k) => $"w{writer}-{k:D5}";

    /// <summary>The vector of one write: a pure function of the id and the version, so the end state can be checked.</summary>
    private static float[] VectorOf(int writer, int k, int version) =>
        RandomVector(new Random(HashCode.Combine(writer, k, version)));

    private static float[] Normalised(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        return [.. vector.Select(x => x / norm)];
    }

    private static float[] RandomVector(Random random) =>
        [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5))];

    /// <summary>What the client loops report, swapped out window by window.</summary>
    private sealed class Counters
    {
        private readonly object _gate = new();
        private readonly List<double> _allSearches = [];
        private readonly List<double> _allUpserts = [];
        private List<double> _searches = [];
        private List<double> _upserts = [];
        private int _errors;
        private int _deliberate;

        public ConcurrentQueue<string> ErrorMessages { get; } = new();

        public void Searched(TimeSpan latency)
        {
            lock (_gate)
            {
                _searches.Add(latency.TotalMilliseconds);
                _allSearches.Add(latency.TotalMilliseconds);
            }
        }

        public void Upserted(TimeSpan latency)
        {
            lock (_gate)
            {
                _upserts.Add(latency.TotalMilliseconds);
                _allUpserts.Add(latency.TotalMilliseconds);
            }
        }

        public void Refused()
        {
            lock (_gate)
            {
                _deliberate++;
            }
        }

        public void Failed(string message)
        {
            ErrorMessages.Enqueue(message);
            lock (_gate)
            {
                _errors++;
            }
        }

        /// <summary>Every latency of the run (searches, upserts), for the run's own quantiles.</summary>
        public (List<double> Searches, List<double> Upserts) All()
        {
            lock (_gate)
            {
                return ([.. _allSearches], [.. _allUpserts]);
            }
        }

        public LoadWindow TakeWindow()
        {
            lock (_gate)
            {
                var window = new LoadWindow(_searches, _upserts, _errors, _deliberate);
                _searches = [];
                _upserts = [];
                _errors = 0;
                _deliberate = 0;
                return window;
            }
        }
    }
}

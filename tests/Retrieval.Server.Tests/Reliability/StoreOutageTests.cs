using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Retrieval.Testing.Server;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// The store of record goes away under load: a child server on a PostgreSQL cluster of the test's own takes three
/// writers upserting 10-item batches and two searchers; the cluster is stopped with <c>pg_ctl stop -m immediate</c>,
/// kept down <see cref="OutageSeconds"/>, and started again on the same port and data directory. Checked:
/// <list type="bullet">
/// <item>every write is acknowledged or refused UNAVAILABLE within its deadline, and a refusal says whether the batch
/// was not committed or its outcome is unknown (the connection was lost while it ran); no other status;</item>
/// <item>every search succeeds, before, during and after the outage (answered from memory);</item>
/// <item>/readyz turns Degraded naming the store (still 200: searches are served) and Healthy again after the restart;</item>
/// <item>writes resume within <see cref="ResumeBound"/> of the store accepting connections, with no server restart;</item>
/// <item>read back from the store itself: every acknowledged batch is present with its payloads, no batch refused as
/// not committed is, and a batch of unknown outcome is there whole or not at all; the live server holds exactly the
/// same items (the engine settled the unknown ones against the store);</item>
/// <item>the server never exits and logs no error (warnings only), and its optimizer (segments sealed every 500
/// vectors here: index builds, merges, snapshots after builds) goes on working through the outage.</item>
/// </list>
/// </summary>
public sealed class StoreOutageTests(ITestOutputHelper output)
{
    private const string Collection = "outage";
    private const int Dimension = 8;
    private const int Writers = 3;
    private const int Searchers = 2;
    private const int BatchSize = 10;

    /// <summary>The target of issue 19: writes resume at most this long after the store is back.</summary>
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(5);

    /// <summary>A write's deadline: a refusal must come well inside it (Npgsql's connect timeout is 5 s here).</summary>
    private static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan SearchDeadline = TimeSpan.FromSeconds(5);

    /// <summary>How long the store stays down: 20 s in CI, <c>RETRIEVAL_OUTAGE_SECONDS</c> on demand.</summary>
    private static int OutageSeconds =>
        int.TryParse(Environment.GetEnvironmentVariable("RETRIEVAL_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 20;

    private enum Outcome
    {
        Acknowledged,
        NotCommitted,
        Unknown,
    }

    [SkippableFact]
    public async Task PostgresStoppedUnderLoad_WritesRefusedUnavailable_SearchesAnswer_ReadyzDegraded_WritesResume_NothingLost()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        await using var postgres = await ThrowawayPostgres.StartAsync();
        await PostgresSchema.UpgradeAsync(postgres.ConnectionString, CancellationToken.None);
        var configuration = new ServerConfiguration("postgres", postgres.ConnectionString);
        // Segments sealed every 500 vectors: the optimizer builds HNSW graphs, merges them and writes snapshots all
        // through the outage, so that the background work is shown to ride it out too.
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = "500";
        var calls = new ConcurrentQueue<WriteCall>();
        var searches = new ConcurrentQueue<(long Started, long Answered)>();
        var readiness = new ConcurrentQueue<(long At, HttpStatusCode Status, string Body)>();
        var wrong = new ConcurrentQueue<string>();
        long down, restarting, up;
        IReadOnlyList<string> errorLines;

        try
        {
            await using var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = Collection,
                Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" }, Index = "HNSW32" } },
            });

            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteLoopAsync(server, w, calls, wrong, stop.Token)))
                .Concat(Enumerable.Range(0, Searchers).Select(s => Task.Run(() => SearchLoopAsync(server, s, searches, wrong, stop.Token))))
                .Append(Task.Run(() => ReadinessLoopAsync(server, readiness, wrong, stop.Token)))
                .ToList();

            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.True(calls.Any(c => c.Outcome == Outcome.Acknowledged), $"no write was acknowledged before the outage; {server.Diagnostics()}");
            // pg_ctl returns once every backend is gone; writes started before that may still commit.
            await postgres.KillAsync();
            down = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(OutageSeconds));
            // The store is back at some moment between these two: pg_ctl returns once it accepts connections, and the
            // readings in between could see either. The outage is checked before the first, the resumption after the second.
            restarting = Stopwatch.GetTimestamp();
            await postgres.StartAgainAsync();
            up = Stopwatch.GetTimestamp();

            // Load after the restart: long enough for the resume bound and to settle any write of unknown outcome.
            await Task.Delay(ResumeBound + TimeSpan.FromSeconds(2));
            await stop.CancelAsync();
            await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(server.HasExited, $"the server exited during the outage; {server.Diagnostics()}");
            errorLines = server.ErrorLines;

            await CheckAgainstStoreAsync(server, postgres.ConnectionString, [.. calls]);
            var snapshots = Path.Combine(configuration.DataDirectory, "snapshots");
            Assert.True(
                System.IO.Directory.Exists(snapshots) && System.IO.Directory.EnumerateFiles(snapshots, "*", SearchOption.AllDirectories).Any(),
                $"the optimizer wrote no snapshot after its index builds; {server.Diagnostics()}");
        }
        finally
        {
            output.WriteLine(Report([.. calls], [.. searches], [.. readiness]));
            if (System.IO.Directory.Exists(configuration.DataDirectory))
            {
                System.IO.Directory.Delete(configuration.DataDirectory, recursive: true);
            }
        }

        Assert.True(wrong.IsEmpty, $"answers other than success or a classified UNAVAILABLE: {string.Join("; ", wrong.Take(10))}");
        Assert.True(errorLines.Count == 0, $"the server logged errors: {string.Join(Environment.NewLine, errorLines.Take(10))}");
        CheckDuringOutage([.. calls], [.. searches], [.. readiness], down, restarting, up);
    }

    private void CheckDuringOutage(
        IReadOnlyList<WriteCall> calls, IReadOnlyList<(long Started, long Answered)> searches, IReadOnlyList<(long At, HttpStatusCode Status, string Body)> readiness, long down, long restarting, long up)
    {
        var duringOutage = calls.Where(c => c.Started > down && c.Answered < restarting).ToList();
        Assert.True(duringOutage.Count > 0, "no write was made during the outage");
        Assert.All(duringOutage, c => Assert.NotEqual(Outcome.Acknowledged, c.Outcome));
        var slowestRefusal = TimeSpan.FromTicks(duringOutage.Max(c => c.Answered - c.Started) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        Assert.True(slowestRefusal < WriteDeadline, $"a refusal took {slowestRefusal.TotalSeconds:F1} s");

        Assert.True(searches.Any(s => s.Started > down && s.Answered < restarting), "no search was answered during the outage");

        var outage = readiness.Where(r => r.At > down && r.At < restarting).ToList();
        var degraded = outage.FirstOrDefault(r => r.Body.StartsWith("Degraded", StringComparison.Ordinal));
        Assert.True(degraded != default, $"/readyz never reported the store down during the outage: {string.Join(" | ", outage.Select(r => r.Body).Distinct())}");
        Assert.Equal(HttpStatusCode.OK, degraded.Status);
        Assert.Contains("store: the postgres store of record is unreachable", degraded.Body, StringComparison.Ordinal);
        Assert.True(Seconds(down, degraded.At) < 5, $"/readyz reported the store down only {Seconds(down, degraded.At):F1} s after it stopped");
        // Once it said so, it keeps saying so until the store is back (a 1 s cached ping, and no flapping).
        Assert.All(outage.Where(r => r.At > degraded.At), r => Assert.StartsWith("Degraded", r.Body, StringComparison.Ordinal));
        var healthyAgain = readiness.FirstOrDefault(r => r.At > up && r.Body == "Healthy");
        Assert.True(healthyAgain != default, "/readyz did not report Healthy again after the store came back");
        Assert.True(Seconds(up, healthyAgain.At) <= ResumeBound.TotalSeconds, $"/readyz was Healthy only {Seconds(up, healthyAgain.At):F1} s after the store came back");

        var resumed = calls.Where(c => c.Started > up && c.Outcome == Outcome.Acknowledged).MinBy(c => c.Answered);
        Assert.True(resumed is not null, "no write was acknowledged after the store came back");
        output.WriteLine(
            $"outage {Seconds(down, up):F1} s (PostgreSQL start {Seconds(restarting, up):F1} s of it): {duringOutage.Count} writes refused during it (slowest {slowestRefusal.TotalMilliseconds:F0} ms), " +
            $"{searches.Count(s => s.Started > down && s.Answered < restarting)} searches answered; /readyz Degraded {Seconds(down, degraded.At):F1} s after the stop, " +
            $"Healthy {Seconds(up, healthyAgain.At):F1} s after the restart; first write acknowledged {Seconds(up, resumed.Answered):F2} s after the restart; " +
            $"{calls.Count(c => c.Started > up && c.Outcome == Outcome.Acknowledged)} batches acknowledged after it");
        Assert.True(Seconds(up, resumed.Answered) <= ResumeBound.TotalSeconds, $"writes resumed {Seconds(up, resumed.Answered):F1} s after the store came back");
    }

    /// <summary>
    /// Reads every batch back from the store (a connection of the test's own, not the server's) and from the live server.
    /// </summary>
    private static async Task CheckAgainstStoreAsync(ChildServerProcess server, string connectionString, IReadOnlyList<WriteCall> calls)
    {
        await using var store = new PostgresRetrievalStore(connectionString);
        await store.OpenAsync(CancellationToken.None);
        var ids = calls.SelectMany(c => c.Ids).ToList();
        var stored = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(1000))
        {
            foreach (var item in await store.GetItemsAsync(Collection, chunk, CancellationToken.None))
            {
                using var payload = JsonDocument.Parse(item.PayloadJson);
                stored[item.Id] = payload.RootElement.GetProperty("n").GetInt32();
            }
        }

        foreach (var call in calls)
        {
            var present = call.Ids.Count(stored.ContainsKey);
            switch (call.Outcome)
            {
                case Outcome.Acknowledged:
                    Assert.True(present == call.Ids.Length, $"acknowledged batch {call.Ids[0]}… (sequence {call.Sequence}): {call.Ids.Length - present} items missing from the store");
                    Assert.All(call.Ids, id => Assert.Equal(NumberOf(id), stored[id]));
                    break;
                case Outcome.NotCommitted:
                    Assert.True(present == 0, $"batch {call.Ids[0]}… was refused as not committed, yet {present} of its items are in the store");
                    break;
                case Outcome.Unknown:
                    Assert.True(present == 0 || present == call.Ids.Length, $"batch {call.Ids[0]}… of unknown outcome is in the store in part ({present} of {call.Ids.Length})");
                    break;
            }
        }

        // The live server's indexes follow the store: the same items, batches of unknown outcome included.
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(1000))
        {
            var got = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { chunk } }, deadline: DateTime.UtcNow.AddSeconds(30));
            live.UnionWith(got.Items.Select(i => i.Id));
        }

        Assert.True(live.SetEquals(stored.Keys), $"the live server and the store disagree: {live.Except(stored.Keys).Count()} items only in the server, {stored.Keys.Except(live).Count()} only in the store");
    }

    private static async Task WriteLoopAsync(ChildServerProcess server, int writer, ConcurrentQueue<WriteCall> calls, ConcurrentQueue<string> wrong, CancellationToken stop)
    {
        for (var batch = 0; !stop.IsCancellationRequested; batch++)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            for (var i = 0; i < BatchSize; i++)
            {
                var n = (writer * 10_000_000) + (batch * BatchSize) + i;
                var item = new Item { Id = $"i{n}", Payload = new Struct { Fields = { ["n"] = Value.ForNumber(n) } } };
                item.Vectors.Add("v1", new Vector { Values = { VectorOf(n) } });
                request.Items.Add(item);
            }

            var ids = request.Items.Select(i => i.Id).ToArray();
            // Not cancelled when the test stops the load: a call in flight then is answered and classified, never abandoned.
            var started = Stopwatch.GetTimestamp();
            try
            {
                var answer = await server.Items.UpsertItemsAsync(request, deadline: DateTime.UtcNow + WriteDeadline, cancellationToken: CancellationToken.None);
                calls.Enqueue(new WriteCall(ids, started, Stopwatch.GetTimestamp(), Outcome.Acknowledged, answer.Sequence));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && Classify(e.Status.Detail) is { } outcome)
            {
                calls.Enqueue(new WriteCall(ids, started, Stopwatch.GetTimestamp(), outcome, 0));
                // A client backing off before it retries; without it the loop spins on instant refusals.
                await Task.Delay(50, CancellationToken.None);
            }
            catch (RpcException e)
            {
                wrong.Enqueue($"upsert: {e.StatusCode} {e.Status.Detail}");
                // Its outcome is not known to the test: kept as unknown so that the store check still sees it whole or absent.
                calls.Enqueue(new WriteCall(ids, started, Stopwatch.GetTimestamp(), Outcome.Unknown, 0));
            }
        }
    }

    /// <summary>The two refusals of a write the store could not finish (Grpc/ErrorInterceptor.StoreUnavailableDetail).</summary>
    private static Outcome? Classify(string detail) =>
        detail.Contains("the write was not committed", StringComparison.Ordinal) ? Outcome.NotCommitted
        : detail.Contains("its outcome is unknown", StringComparison.Ordinal) ? Outcome.Unknown
        : null;

    private static async Task SearchLoopAsync(ChildServerProcess server, int searcher, ConcurrentQueue<(long, long)> searches, ConcurrentQueue<string> wrong, CancellationToken stop)
    {
        var random = new Random(searcher);
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var query = Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5));
                await server.Search.SearchAsync(
                    new SearchRequest { Collection = Collection, Space = "v1", Vector = new Vector { Values = { query } }, K = 10, WithPayload = true },
                    deadline: DateTime.UtcNow + SearchDeadline, cancellationToken: CancellationToken.None);
                searches.Enqueue((started, Stopwatch.GetTimestamp()));
            }
            catch (RpcException e)
            {
                wrong.Enqueue($"search: {e.StatusCode} {e.Status.Detail}");
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }

    private static async Task ReadinessLoopAsync(ChildServerProcess server, ConcurrentQueue<(long, HttpStatusCode, string)> readiness, ConcurrentQueue<string> wrong, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var (status, body) = await server.ReadyzAsync(TimeSpan.FromSeconds(5));
                readiness.Enqueue((Stopwatch.GetTimestamp(), status, body));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                wrong.Enqueue($"/readyz: {e.Message}");
            }

            await Task.Delay(250, CancellationToken.None);
        }
    }

    private static string Report(IReadOnlyList<WriteCall> calls, IReadOnlyList<(long Started, long Answered)> searches, IReadOnlyList<(long At, HttpStatusCode Status, string Body)> readiness)
    {
        string Count(Outcome outcome) => calls.Count(c => c.Outcome == outcome).ToString(CultureInfo.InvariantCulture);
        var refusals = calls.Where(c => c.Outcome != Outcome.Acknowledged).Select(c => c.Answered - c.Started).DefaultIfEmpty(0).Max();
        return $"writes: {Count(Outcome.Acknowledged)} batches acknowledged, {Count(Outcome.NotCommitted)} refused not committed, {Count(Outcome.Unknown)} of unknown outcome; " +
            $"slowest refusal {Seconds(0, refusals) * 1000:F0} ms; {searches.Count} searches answered; /readyz polled {readiness.Count} times, " +
            $"{readiness.Count(r => r.Body.StartsWith("Degraded", StringComparison.Ordinal))} Degraded";
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    private static int NumberOf(string id) => int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);

    private static float[] VectorOf(int n)
    {
        var random = new Random(n);
        return [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5))];
    }

    private sealed record WriteCall(string[] Ids, long Started, long Answered, Outcome Outcome, long Sequence);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// SIGTERM to a child server (on SQLite, and on PostgreSQL) while writers upsert batches and a reader searches. Every call is answered
/// (acknowledged, or refused with UNAVAILABLE: never INTERNAL/UNKNOWN, never a deadline), the process exits within
/// <see cref="ExitBound"/> with code 0 having written its shutdown snapshots, and after a restart every acknowledged
/// item is present with its vector and payload. A refused batch's effect is unknown (it may have committed as the
/// connection closed), so it is neither required nor forbidden afterwards.
/// </summary>
public abstract class ShutdownUnderLoadTests(ITestOutputHelper output)
{
    private const string Collection = "shutdown";
    private const int Dimension = 8;
    private const int Writers = 3;
    private const int BatchSize = 20;

    /// <summary>
    /// Well under the host's ShutdownTimeout (the .NET default, 30 s: the server does not change it), which is how long
    /// the host lets in-flight requests and hosted services finish before it gives up on them.
    /// </summary>
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(15);

    protected abstract Task<ChildServerStore> CreateStoreAsync();

    protected async Task RunAsync()
    {
        await using var store = await CreateStoreAsync();
        var configuration = store.Configuration;
        var acknowledged = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var wrong = new ConcurrentQueue<string>();
        var counts = new Counts();
        TimeSpan exitTime;

        await using (var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = Collection,
                Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" }, Index = "HNSW32" } },
            });

            var sigterm = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, Writers)
                .Select(w => Task.Run(() => UpsertLoopAsync(server, w, acknowledged, wrong, counts, sigterm.Task)))
                .Append(Task.Run(() => SearchLoopAsync(server, wrong, counts, sigterm.Task)))
                .ToList();

            // Two seconds of load, so that SIGTERM lands on batches being committed.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.True(!acknowledged.IsEmpty, $"no batch was acknowledged before SIGTERM; {server.Diagnostics()}");
            var clock = Stopwatch.StartNew();
            sigterm.SetResult(Stopwatch.GetTimestamp());
            await server.TerminateAsync();
            var exited = await server.WaitForExitAsync(ExitBound);
            exitTime = clock.Elapsed;
            Assert.True(exited, $"the server had not exited {ExitBound.TotalSeconds} s after SIGTERM; {server.Diagnostics()}");
            Assert.True(server.ExitCode == 0, $"the server exited with code {server.ExitCode} after SIGTERM; {server.Diagnostics()}");

            // Each loop makes one more call after the exit (refused: nothing listens) and stops.
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        }

        output.WriteLine(
            $"exit {exitTime.TotalSeconds:F1} s after SIGTERM; {counts.AcknowledgedBefore} batches acknowledged before it, {counts.AcknowledgedAfter} started before " +
            $"and acknowledged after it, {counts.Refused} upserts and {counts.SearchesRefused} searches refused UNAVAILABLE, {counts.Searches} searches answered; " +
            $"{acknowledged.Count} acknowledged items");
        Assert.True(wrong.IsEmpty, $"calls answered with something other than success or UNAVAILABLE: {string.Join("; ", wrong.Take(10))}");
        Assert.True(counts.Refused > 0, "no upsert was refused: SIGTERM landed after the load, the test proved nothing");
        // Three writers call back to back, so SIGTERM finds batches being committed: those must finish, acknowledged.
        Assert.True(counts.AcknowledgedAfter > 0, "no batch started before SIGTERM was acknowledged after it: the in-flight batches were not let finish");

        var snapshots = Path.Combine(configuration.DataDirectory, "snapshots");
        Assert.True(Directory.Exists(snapshots) && Directory.EnumerateFiles(snapshots, "*", SearchOption.AllDirectories).Any(), $"no snapshot was written on stop in {snapshots}");

        configuration.RenewPorts();
        await using var restarted = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
        var ids = acknowledged.Keys.ToList();
        var present = 0;
        foreach (var chunk in ids.Chunk(500))
        {
            var got = await restarted.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { chunk }, WithVectors = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            var byId = got.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
            foreach (var id in chunk)
            {
                Assert.True(byId.TryGetValue(id, out var item), $"acknowledged item {id} is missing after SIGTERM and restart");
                Assert.Equal(acknowledged[id], (int)item.Payload.Fields["n"].NumberValue);
                Assert.Equal(VectorOf(acknowledged[id]), item.Vectors["v1"].Values);
                present++;
            }
        }

        output.WriteLine($"after restart: {present} of {ids.Count} acknowledged items present with their vector and payload");
    }

    /// <summary>The vector of item number <paramref name="n"/>: a pure function of it, so a restart can be checked.</summary>
    private static float[] VectorOf(int n)
    {
        var random = new Random(n);
        return [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5))];
    }

    private static async Task UpsertLoopAsync(
        ChildServerProcess server, int writer, ConcurrentDictionary<string, int> acknowledged, ConcurrentQueue<string> wrong, Counts counts, Task<long> sigterm)
    {
        for (var batch = 0; ; batch++)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            for (var i = 0; i < BatchSize; i++)
            {
                var n = (writer * 10_000_000) + (batch * BatchSize) + i;
                var item = new Item { Id = $"i{n}", Payload = new Struct { Fields = { ["n"] = Value.ForNumber(n) } } };
                item.Vectors.Add("v1", new Vector { Values = { VectorOf(n) } });
                request.Items.Add(item);
            }

            var started = Stopwatch.GetTimestamp();
            var exitedBefore = server.HasExited;
            try
            {
                await server.Items.UpsertItemsAsync(request, deadline: DateTime.UtcNow.AddSeconds(20));
                foreach (var item in request.Items)
                {
                    acknowledged[item.Id] = (int)item.Payload.Fields["n"].NumberValue;
                }

                if (sigterm.IsCompleted && started < sigterm.Result)
                {
                    Interlocked.Increment(ref counts.AcknowledgedAfter);
                }
                else if (!sigterm.IsCompleted)
                {
                    Interlocked.Increment(ref counts.AcknowledgedBefore);
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                Interlocked.Increment(ref counts.Refused);
            }
            catch (RpcException e)
            {
                wrong.Enqueue($"upsert: {e.StatusCode} {e.Status.Detail}");
            }

            if (exitedBefore)
            {
                return;
            }
        }
    }

    private static async Task SearchLoopAsync(ChildServerProcess server, ConcurrentQueue<string> wrong, Counts counts, Task<long> sigterm)
    {
        var random = new Random(7);
        while (true)
        {
            var exitedBefore = server.HasExited;
            try
            {
                var query = Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5));
                await server.Search.SearchAsync(
                    new SearchRequest { Collection = Collection, Space = "v1", Vector = new Vector { Values = { query } }, K = 10, WithPayload = true },
                    deadline: DateTime.UtcNow.AddSeconds(20));
                Interlocked.Increment(ref counts.Searches);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                Interlocked.Increment(ref counts.SearchesRefused);
            }
            catch (RpcException e)
            {
                wrong.Enqueue($"search{(sigterm.IsCompleted ? " after SIGTERM" : string.Empty)}: {e.StatusCode} {e.Status.Detail}");
            }

            if (exitedBefore)
            {
                return;
            }
        }
    }

    private sealed class Counts
    {
#pragma warning disable SA1401 // Fields, so that Interlocked can update them.
        public int AcknowledgedBefore;
        public int AcknowledgedAfter;
        public int Refused;
        public int Searches;
        public int SearchesRefused;
#pragma warning restore SA1401
    }
}

public sealed class SqliteShutdownUnderLoadTests(ITestOutputHelper output) : ShutdownUnderLoadTests(output)
{
    [Fact]
    public Task Sigterm_UnderUpsertsAndSearches_AcknowledgesOrRefusesUnavailable_ExitsInBound_AndLosesNothing() => RunAsync();

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.SqliteAsync();
}

public sealed class PostgresShutdownUnderLoadTests(ITestOutputHelper output) : ShutdownUnderLoadTests(output)
{
    [SkippableFact]
    public Task Sigterm_UnderUpsertsAndSearches_AcknowledgesOrRefusesUnavailable_ExitsInBound_AndLosesNothing()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        return RunAsync();
    }

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.PostgresAsync();
}

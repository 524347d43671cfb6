using System.Diagnostics;
using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Retrieval.Testing.Onnx;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// A model-upgrade migration whose server-side backfill (re-encoding stored texts) runs on a 3-node cluster: exactly
/// one node holds its lease and runs it; that node is SIGKILLed mid-walk, another node takes the lease over once it
/// expires and walks on from the stored cursor, and the migration cuts over with every item re-encoded exactly once.
/// The lease is <c>RETRIEVAL_CLUSTER_LEASE_SECONDS</c> (default 2 here; the server's default is 10).
/// </summary>
public sealed class ClusterBackfillRunnerTests(ITestOutputHelper output)
{
    private const int Items = 400;
    private const int Anchors = 40;
    private const double Rate = 30;
    private const string MigrationId = "upgrade";
    private const string TestHolder = "test/holds-it";

    [SkippableFact]
    public async Task Backfill_RunsOnOneNode_ItsNodeKilled_ResumesOnAnotherFromTheStoredCursor_AndCutsOver()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var leaseSeconds = double.TryParse(Environment.GetEnvironmentVariable("RETRIEVAL_CLUSTER_LEASE_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var configured)
            ? configured
            : 2;
        var clock = Stopwatch.StartNew();
        await using var cluster = await KillableCluster.CreateAsync(3, new Dictionary<string, string>
        {
            ["Retrieval:Backfill:BatchSize"] = "20",
            ["Retrieval:Backfill:IdleDelayMilliseconds"] = "100",
            ["Retrieval:Backfill:LeaseSeconds"] = leaseSeconds.ToString(CultureInfo.InvariantCulture),
            // Lease hand-overs and adopted cursors in the nodes' output (a failure prints its tail).
            ["Serilog:MinimumLevel:Override:Retrieval.Server.Hosting.BackfillLeaseGate"] = "Information",
            ["Serilog:MinimumLevel:Override:Retrieval.Engine.RetrievalEngine"] = "Information",
        });
        await using var store = new PostgresRetrievalStore(cluster.ConnectionString);

        // Set up on node 0. The other nodes load the backfilling migration when they start (nodes do not follow each
        // other's catalog yet), so the test holds the migration's lease itself until all three are up: none may run it.
        var scenario = new ReencodingScenario(Items, Anchors, seed: 31);
        var first = await cluster.StartAsync(0);
        var name = await scenario.CreateAsync(first.Encoders, first.Collections, first.Items, "cluster-backfill");
        await first.Migrations.PlanMigrationAsync(new PlanMigrationRequest
        {
            Collection = name, Id = MigrationId, ToSpace = "v2", Encoder = scenario.NewEncoder, Settings = new MigrationSettings { ItemsPerSecond = Rate },
        });
        await first.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = MigrationId });
        await first.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = MigrationId, Force = true });
        Assert.NotNull(await store.TryTakeBackfillLeaseAsync(name, MigrationId, TestHolder, TimeSpan.FromMinutes(10), default));
        await first.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = MigrationId });
        // Encoders live in the shared store: the nodes that may run the backfill list the ones registered through node 0.
        var others = await Task.WhenAll(cluster.StartAsync(1), cluster.StartAsync(2));
        foreach (var node in others)
        {
            Assert.Equal(
                [scenario.OldEncoder, scenario.NewEncoder],
                (await node.Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders.Select(e => e.Descriptor_.Name).Order(StringComparer.Ordinal));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await store.GetMigrationAsync(name, MigrationId, default))!.Backfilled);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: 3 nodes up, migration backfilling, nothing run while the lease is held elsewhere");

        // Let go: exactly one of the three takes the lease and runs the walk; the others keep polling.
        await store.ReleaseBackfillLeaseAsync(name, MigrationId, TestHolder, default);
        var runner = await WaitForAsync(cluster, "a node takes the lease", async () =>
            await store.GetBackfillLeaseAsync(name, MigrationId, default) is { } lease && lease.Holder.StartsWith("node-", StringComparison.Ordinal) ? lease : null, TimeSpan.FromSeconds(30));
        var walked = await WaitForAsync(cluster, "the walk is under way", async () =>
            (await store.GetMigrationAsync(name, MigrationId, default)) is { } row && row.Backfilled > 2 * Rate ? row : null, TimeSpan.FromSeconds(60));
        var holder = (await store.GetBackfillLeaseAsync(name, MigrationId, default))!;
        Assert.Equal((runner.Holder, runner.Epoch), (holder.Holder, holder.Epoch));
        Assert.True(walked.Backfilled < scenario.ToReencode, "the walk ended before the runner could be killed; lower the rate");
        var victim = NodeIndex(holder.Holder);
        // Cluster status, through any node, names the runner.
        var status = await first.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
        var listed = Assert.Single(status.BackfillLeases, l => l.Collection == name && l.MigrationId == MigrationId);
        Assert.Equal((holder.Holder, holder.Epoch, false), (listed.Holder, listed.Epoch, listed.Expired));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {holder.Holder} runs it (epoch {holder.Epoch}); {walked.Backfilled} re-encoded");

        await cluster.KillAsync(victim);
        var killedAt = clock.Elapsed;
        var atKill = (await store.GetMigrationAsync(name, MigrationId, default))!;

        // Another node takes the lease over once it expires and walks on from the stored cursor.
        var taken = await WaitForAsync(cluster, "another node takes the lease over", async () =>
            (await store.GetBackfillLeaseAsync(name, MigrationId, default)) is { } lease && NodeIndex(lease.Holder) != victim ? lease : null, TimeSpan.FromSeconds(leaseSeconds + 30));
        var takenAt = clock.Elapsed;
        var resumed = await WaitForAsync(cluster, "the backfill resumes", async () =>
            (await store.GetMigrationAsync(name, MigrationId, default)) is { } row && row.Backfilled > atKill.Backfilled ? row : null, TimeSpan.FromSeconds(30));
        var resumedAt = clock.Elapsed;
        Assert.True(taken.Epoch > holder.Epoch, $"epoch {taken.Epoch} after {holder.Epoch}");
        Assert.True(string.CompareOrdinal(resumed.WorkerCursor, atKill.WorkerCursor) > 0, $"cursor {resumed.WorkerCursor} after {atKill.WorkerCursor}");
        output.WriteLine(
            $"{clock.Elapsed.TotalSeconds:F1} s: SIGKILL of {KillableCluster.NodeName(victim)} → lease taken by {taken.Holder} after {(takenAt - killedAt).TotalSeconds:F1} s, " +
            $"first step committed after {(resumedAt - killedAt).TotalSeconds:F1} s (lease {leaseSeconds} s)");

        // The walk finishes on the new runner: the cursor reaches the last id in ordinal order, every text re-encoded once.
        var lastId = Enumerable.Range(0, Items).Select(ReencodingScenario.Id).Append(ReencodingScenario.NoInputId).Max(StringComparer.Ordinal);
        var done = await WaitForAsync(cluster, "the walk reaches the last item", async () =>
            (await store.GetMigrationAsync(name, MigrationId, default)) is { } row && row.WorkerCursor == lastId ? row : null, TimeSpan.FromSeconds(Items / Rate + 60));
        Assert.Equal(scenario.ToReencode, done.Backfilled);
        Assert.Equal(taken.Holder, (await store.GetBackfillLeaseAsync(name, MigrationId, default))?.Holder);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: walk done on {taken.Holder}: {done.Backfilled} re-encoded");

        // The killed node comes back, loads the finished backfill from the store, and the migration cuts over through it
        // once the client gave the one item without a stored text its new vector.
        var back = await cluster.StartAsync(victim);
        await back.Migrations.BackfillVectorsAsync(new BackfillVectorsRequest
        {
            Collection = name, Id = MigrationId,
            Vectors = { new BackfillVector { Id = ReencodingScenario.NoInputId, Vector = new Vector { Values = { Enumerable.Repeat(0.4f, TinyTextModel.Dim) } } } },
        });
        var cutOver = await back.Migrations.CutoverMigrationAsync(new MigrationActionRequest { Collection = name, Id = MigrationId });
        Assert.Equal(MigrationPhase.CutOver, cutOver.Phase);
        Assert.Equal(Core.Migrations.MigrationPhase.CutOver, (await store.GetMigrationAsync(name, MigrationId, default))?.Phase);

        var expected = await scenario.EncodeNewAsync(back.Encoders, scenario.Texts);
        foreach (var chunk in Enumerable.Range(0, Items).Chunk(200))
        {
            var got = await back.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { chunk.Select(ReencodingScenario.Id) }, WithVectors = true });
            Assert.Equal(chunk.Length, got.Items.Count);
            foreach (var item in got.Items)
            {
                var i = int.Parse(item.Id["doc-".Length..], CultureInfo.InvariantCulture);
                Assert.All(expected[i].Zip(item.Vectors["v2"].Values), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-5, $"{item.Id}: {pair.First} vs {pair.Second}"));
            }
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: cut over through the restarted {KillableCluster.NodeName(victim)}; every item re-encoded");

    }

    /// <summary>The node a lease holder ("node-1/ab12…") runs on.</summary>
    private static int NodeIndex(string holder) =>
        int.Parse(holder["node-".Length..holder.IndexOf('/', StringComparison.Ordinal)], CultureInfo.InvariantCulture);

    private static async Task<T> WaitForAsync<T>(KillableCluster cluster, string what, Func<Task<T?>> probe, TimeSpan bound)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < bound)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"not within {bound.TotalSeconds:F0} s: {what}{Environment.NewLine}{cluster.Diagnostics()}");
    }
}

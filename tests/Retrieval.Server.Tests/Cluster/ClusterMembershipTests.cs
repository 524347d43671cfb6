using System.Diagnostics;
using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Retrieval.Testing.Server;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Three real server processes on loopback form a cluster over the test PostgreSQL: every node lists all three as
/// active; one is SIGKILLed and the others report it dead within a bound; restarted, it rejoins as a new incarnation
/// and serves what the others wrote to the shared store of record. Needs <c>RETRIEVAL_TEST_POSTGRES</c> (skipped
/// without it outside CI, like every PostgreSQL test).
/// </summary>
public sealed class ClusterMembershipTests(ITestOutputHelper output)
{
    private const int NodeCount = 3;

    /// <summary>
    /// Failure detection as configured here: a peer is suspected after 3 missed probes of 2 s, and declared dead when
    /// the live peers have voted, so ~6-10 s; the bound leaves room for a loaded 2-core CI machine.
    /// </summary>
    private static readonly TimeSpan DeathBound = TimeSpan.FromSeconds(40);

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task ThreeNodes_SeeEachOther_AKilledNodeIsDeclaredDead_AndRejoinsOnRestart()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var clock = Stopwatch.StartNew();
        await using var store = await ChildServerStore.PostgresAsync();
        var configurations = Enumerable.Range(0, NodeCount).Select(i => NodeConfiguration(store.Configuration.PostgresConnection!, i)).ToArray();
        var nodes = new ChildServerProcess?[NodeCount];
        try
        {
            var started = await Task.WhenAll(configurations.Select(c => ChildServerProcess.StartAsync(c, StartBound)));
            started.CopyTo(nodes, 0);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {NodeCount} nodes ready");

            for (var i = 0; i < NodeCount; i++)
            {
                await WaitForAsync(nodes[i]!, $"node {i} lists all nodes active", status =>
                    SiloPorts(status, ClusterNodeState.Active).SetEquals(configurations.Select(SiloPort)), StartBound);
            }

            var first = await nodes[0]!.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
            Assert.True(first.Enabled);
            Assert.Single(first.Nodes, n => n.Self);
            Assert.Single(first.Nodes, n => n.Name == "node-2");
            Assert.Equal(
                [(SiloPort(configurations[0]), int.Parse(configurations[0].Extra["Retrieval:Cluster:GatewayPort"], CultureInfo.InvariantCulture)), (SiloPort(configurations[1]), 0)],
                first.Nodes.Where(n => n.Name is "node-0" or "node-1").OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => (n.SiloPort, n.GatewayPort)));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: every node lists {NodeCount} active nodes");

            // Each node serves the API on its own; what one writes is in the shared store of record.
            await nodes[0]!.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = "shared",
                Spaces = { new Space { Name = "v", Dimension = 2, Metric = Metric.L2, Model = new ModelRef { Name = "m", Version = "1" } } },
            });
            var upsert = new UpsertItemsRequest { Collection = "shared" };
            upsert.Items.Add(new Item { Id = "a", Vectors = { ["v"] = new Vector { Values = { 1f, 2f } } } });
            await nodes[0]!.Items.UpsertItemsAsync(upsert);

            var victim = NodeCount - 1;
            var killedGeneration = first.Nodes.Single(n => n.State == ClusterNodeState.Active && n.SiloPort == SiloPort(configurations[victim])).Generation;
            await nodes[victim]!.KillAsync();
            var killedAt = clock.Elapsed;
            for (var i = 0; i < victim; i++)
            {
                await WaitForAsync(nodes[i]!, $"node {i} reports the killed node dead", status =>
                    status.Nodes.Any(n => n.Generation == killedGeneration && n.SiloPort == SiloPort(configurations[victim]) && n.State == ClusterNodeState.Dead), DeathBound);
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: declared dead {(clock.Elapsed - killedAt).TotalSeconds:F1} s after SIGKILL");

            await nodes[victim]!.DisposeAsync();
            nodes[victim] = null;
            configurations[victim].RenewPorts();
            nodes[victim] = await ChildServerProcess.StartAsync(configurations[victim], StartBound);
            for (var i = 0; i < NodeCount; i++)
            {
                await WaitForAsync(nodes[i]!, $"node {i} lists the restarted node active again", status =>
                    SiloPorts(status, ClusterNodeState.Active).SetEquals(configurations.Select(SiloPort))
                    && status.Nodes.Any(n => n.SiloPort == SiloPort(configurations[victim]) && n.State == ClusterNodeState.Active && n.Generation != killedGeneration),
                    StartBound);
            }

            var rejoined = await nodes[victim]!.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest());
            Assert.Contains(rejoined.Nodes, n => n.Self && n.State == ClusterNodeState.Active && n.Name == $"node-{victim}");
            Assert.Contains(rejoined.Nodes, n => n.Generation == killedGeneration && n.State == ClusterNodeState.Dead);
            var items = await nodes[victim]!.Items.GetItemsAsync(new GetItemsRequest { Collection = "shared", Ids = { "a" }, WithVectors = true });
            Assert.Equal([1f, 2f], items.Items.Single().Vectors["v"].Values);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: the restarted node rejoined and serves the shared store");
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
        }
    }

    private static ServerConfiguration NodeConfiguration(string connectionString, int index)
    {
        var configuration = new ServerConfiguration("postgres", connectionString);
        configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
        configuration.Extra["Retrieval:Cluster:AdvertisedAddress"] = "127.0.0.1";
        configuration.Extra["Retrieval:Cluster:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        // Node 0 also opens an Orleans client gateway (off by default), so its port shows in cluster status.
        configuration.Extra["Retrieval:Cluster:GatewayPort"] = index == 0 ? FreePort.Next().ToString(CultureInfo.InvariantCulture) : "0";
        configuration.Extra["Retrieval:Cluster:NodeName"] = $"node-{index}";
        configuration.Extra["Retrieval:Cluster:Membership:ProbeTimeout"] = "00:00:02";
        configuration.Extra["Retrieval:Cluster:Membership:NumMissedProbesLimit"] = "3";
        return configuration;
    }

    private static int SiloPort(ServerConfiguration configuration) =>
        int.Parse(configuration.Extra["Retrieval:Cluster:SiloPort"], CultureInfo.InvariantCulture);

    private static HashSet<int> SiloPorts(ClusterStatus status, ClusterNodeState state) =>
        status.Nodes.Where(n => n.State == state).Select(n => n.SiloPort).ToHashSet();

    /// <summary>Polls a node's cluster status until <paramref name="condition"/> holds, failing with the last status after <paramref name="bound"/>.</summary>
    private static async Task WaitForAsync(ChildServerProcess node, string what, Func<ClusterStatus, bool> condition, TimeSpan bound)
    {
        var deadline = Stopwatch.StartNew();
        ClusterStatus? last = null;
        while (deadline.Elapsed < bound)
        {
            last = await node.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            if (condition(last))
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"not within {bound.TotalSeconds:F0} s: {what}; last status: {last}; {node.Diagnostics()}");
    }
}

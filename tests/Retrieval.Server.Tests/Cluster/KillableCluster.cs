using System.Globalization;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// N real server processes on loopback forming one cluster over a fresh PostgreSQL database, each node started, SIGKILLed
/// and restarted on its own. A restarted node keeps its silo port (so Orleans' joining incarnation marks its killed
/// predecessor dead at once) and takes fresh API ports. Disposing kills every process it ever started, then drops the
/// database: no node outlives a test, failed or not.
/// </summary>
internal sealed class KillableCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(90);

    private readonly ChildServerStore _store;
    private readonly ServerConfiguration[] _configurations;
    private readonly ChildServerProcess?[] _live;
    private readonly List<ChildServerProcess> _dead = [];
    private readonly Lock _sync = new();

    private KillableCluster(ChildServerStore store, ServerConfiguration[] configurations)
    {
        _store = store;
        _configurations = configurations;
        _live = new ChildServerProcess?[configurations.Length];
    }

    public int Count => _configurations.Length;

    /// <summary>The store of record's connection string (the test reads the database directly through it).</summary>
    public string ConnectionString => _store.Configuration.PostgresConnection!;

    public static string NodeName(int index) => $"node-{index}";

    /// <summary>A cluster of <paramref name="nodes"/> nodes (none started yet) with <paramref name="settings"/> on every node.</summary>
    public static async Task<KillableCluster> CreateAsync(int nodes, IReadOnlyDictionary<string, string> settings)
    {
        var store = await ChildServerStore.PostgresAsync();
        var configurations = Enumerable.Range(0, nodes).Select(i =>
        {
            var configuration = new ServerConfiguration("postgres", store.Configuration.PostgresConnection);
            configuration.Extra["Retrieval:Cluster:Enabled"] = "true";
            configuration.Extra["Retrieval:Cluster:AdvertisedAddress"] = "127.0.0.1";
            configuration.Extra["Retrieval:Cluster:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            configuration.Extra["Retrieval:Cluster:NodeName"] = NodeName(i);
            configuration.Extra["Retrieval:Cluster:Membership:ProbeTimeout"] = "00:00:02";
            configuration.Extra["Retrieval:Cluster:Membership:NumMissedProbesLimit"] = "3";
            foreach (var (key, value) in settings)
            {
                configuration.Extra[key] = value;
            }

            return configuration;
        }).ToArray();
        return new KillableCluster(store, configurations);
    }

    /// <summary>The running process of node <paramref name="index"/>, or null while it is down.</summary>
    public ChildServerProcess? Live(int index)
    {
        lock (_sync)
        {
            return _live[index];
        }
    }

    /// <summary>Indexes of the nodes up now.</summary>
    public IReadOnlyList<int> LiveIndexes()
    {
        lock (_sync)
        {
            return [.. Enumerable.Range(0, _live.Length).Where(i => _live[i] is not null)];
        }
    }

    /// <summary>Starts node <paramref name="index"/> (down until now) on fresh API ports and waits until it is ready.</summary>
    public async Task<ChildServerProcess> StartAsync(int index)
    {
        if (Live(index) is not null)
        {
            throw new InvalidOperationException($"{NodeName(index)} runs already");
        }

        _configurations[index].RenewPorts();
        var node = await ChildServerProcess.StartAsync(_configurations[index], StartBound);
        lock (_sync)
        {
            _live[index] = node;
        }

        return node;
    }

    /// <summary>
    /// SIGKILL of node <paramref name="index"/>. Its process object stays (clients other tasks still hold fail with
    /// UNAVAILABLE) until the cluster is disposed.
    /// </summary>
    public async Task KillAsync(int index)
    {
        ChildServerProcess node;
        lock (_sync)
        {
            node = _live[index] ?? throw new InvalidOperationException($"{NodeName(index)} is down already");
            _live[index] = null;
            _dead.Add(node);
        }

        await node.KillAsync();
    }

    /// <summary>Every live node's state and last output lines, for a failing test's message.</summary>
    public string Diagnostics()
    {
        lock (_sync)
        {
            return string.Join(Environment.NewLine, _live.Select((node, i) => $"{NodeName(i)}: {node?.Diagnostics() ?? "down"}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ChildServerProcess> all;
        lock (_sync)
        {
            all = [.. _dead, .. _live.OfType<ChildServerProcess>()];
            Array.Clear(_live);
            _dead.Clear();
        }

        foreach (var node in all)
        {
            await node.DisposeAsync();
        }

        await _store.DisposeAsync();
    }
}

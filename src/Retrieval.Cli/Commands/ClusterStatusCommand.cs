using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>The cluster's nodes as its membership records them and its backfill leases, or that cluster mode is off.</summary>
internal sealed class ClusterStatusCommand : AsyncCommand<ServerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var status = await client.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), cancellationToken: cancellationToken);
        if (!status.Enabled)
        {
            AnsiConsole.MarkupLine("cluster mode is off: this server runs as a single node (Retrieval:Cluster:Enabled)");
            return 0;
        }

        var live = status.Nodes.Count(n => n.State == ClusterNodeState.Active);
        AnsiConsole.MarkupLineInterpolated($"cluster [bold]{status.ClusterId}[/]: {live} active node(s), {status.Nodes.Count} incarnation(s) in the membership table");
        var table = new Table().AddColumns("name", "address", "silo port", "gateway port", "generation", "state", "started (UTC)", "last heartbeat (UTC)", "");
        foreach (var node in status.Nodes)
        {
            table.AddRow(
                Markup.Escape(node.Name),
                Markup.Escape(node.Address),
                node.SiloPort.ToString(CultureInfo.InvariantCulture),
                node.GatewayPort == 0 ? "-" : node.GatewayPort.ToString(CultureInfo.InvariantCulture),
                node.Generation.ToString(CultureInfo.InvariantCulture),
                StateName(node.State),
                Time(node.StartedAt),
                Time(node.LastHeartbeatAt),
                node.Self ? "(answered)" : "");
        }

        AnsiConsole.Write(table);
        if (status.Replicas.Count > 0)
        {
            // Shard placement Grains: where each (shard, replica) lives.
            var replicas = new Table().AddColumns("collection", "shard", "replica", "node", "items", "applied sequence", "error");
            foreach (var replica in status.Replicas)
            {
                replicas.AddRow(
                    Markup.Escape(replica.Collection),
                    replica.Shard.ToString(CultureInfo.InvariantCulture),
                    replica.Replica.ToString(CultureInfo.InvariantCulture),
                    replica.Loaded ? Markup.Escape(replica.Node) : "(not loaded)",
                    replica.Error.Length > 0 || !replica.Loaded ? "-" : replica.ItemCount.ToString(CultureInfo.InvariantCulture),
                    replica.Error.Length > 0 || !replica.Loaded ? "-" : replica.AppliedSequence.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(replica.Error));
            }

            AnsiConsole.Write(replicas);
        }

        if (status.BackfillLeases.Count > 0)
        {
            // Which node runs each migration's server-side backfill.
            var leases = new Table().AddColumns("collection", "migration", "backfill runner", "epoch", "taken (UTC)", "expires (UTC)", "");
            foreach (var lease in status.BackfillLeases)
            {
                leases.AddRow(
                    Markup.Escape(lease.Collection),
                    Markup.Escape(lease.MigrationId),
                    Markup.Escape(lease.Holder),
                    lease.Epoch.ToString(CultureInfo.InvariantCulture),
                    Time(lease.TakenAt),
                    Time(lease.ExpiresAt),
                    lease.Expired ? "(expired)" : "");
            }

            AnsiConsole.Write(leases);
        }

        return 0;
    }

    private static string StateName(ClusterNodeState state) => state switch
    {
        ClusterNodeState.Joining => "joining",
        ClusterNodeState.Active => "active",
        ClusterNodeState.ShuttingDown => "shutting down",
        ClusterNodeState.Dead => "dead",
        _ => "unknown",
    };

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? at) =>
        at is null ? "-" : at.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

namespace Retrieval.Server.Hosting;

/// <summary>The server-side backfill worker, bound from <c>Retrieval:Backfill</c>.</summary>
public sealed class BackfillWorkerOptions
{
    public const string SectionName = "Retrieval:Backfill";

    /// <summary>Items produced and committed per step (one transaction with the cursor). Default 256.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>How long the worker sleeps when no migration has work, in milliseconds. Default 1000.</summary>
    public int IdleDelayMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Cluster mode only: how long a node's lease on a migration's backfill lasts without renewal, in seconds (renewed
    /// after a third of it). When the running node dies, another node resumes the backfill within about this plus
    /// <see cref="IdleDelayMilliseconds"/>. Default 10.
    /// </summary>
    public double LeaseSeconds { get; set; } = 10;
}

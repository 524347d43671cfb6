namespace Retrieval.Server.Hosting;

/// <summary>What the gate answered for one migration: whether to run a step now, and whether the right was just taken over.</summary>
/// <param name="MayRun">True: this node may run the migration's next backfill step now.</param>
/// <param name="TakenOver">
/// True when this node just came to hold the right (first take, or a hand-over from another node): its in-memory copy of
/// the migration's cursor may be behind the store's, so it adopts the stored progress before the step.
/// </param>
internal readonly record struct BackfillTurn(bool MayRun, bool TakenOver)
{
    public static BackfillTurn No => default;
}

/// <summary>
/// Asked by the backfill hosted loop before each step: "may this node run this migration's backfill now?". A single node
/// always may; in cluster mode exactly one node at a time may (<see cref="BackfillLeaseGate"/>). Called from that one
/// loop only, never concurrently.
/// </summary>
internal interface IBackfillRunnerGate
{
    /// <summary>
    /// True when other nodes run this node's migrations at other times (cluster mode), so this node's copy of a
    /// migration's progress can fall behind the store's and is re-read after a refused step.
    /// </summary>
    bool SharedWithOtherNodes { get; }

    ValueTask<BackfillTurn> MayRunAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>
    /// After a failed step: gives the migration's right up and does not ask for it again for a while, so that another
    /// node (one that has the encoder, or reaches the store) can run it meanwhile.
    /// </summary>
    ValueTask BackOffAsync(string collection, string migrationId, CancellationToken cancellationToken);

    /// <summary>Gives up the right to every migration not in <paramref name="current"/> (it finished, paused, or its collection went).</summary>
    ValueTask ReleaseOthersAsync(IReadOnlySet<(string Collection, string Migration)> current, CancellationToken cancellationToken);

    /// <summary>Gives up every right this node holds (shutdown), so another node resumes at once instead of after expiry.</summary>
    ValueTask ReleaseAllAsync(CancellationToken cancellationToken);
}

/// <summary>One node, one runner: every migration may always run here, with no lease work at all.</summary>
internal sealed class SingleNodeBackfillGate : IBackfillRunnerGate
{
    private static readonly BackfillTurn Always = new(MayRun: true, TakenOver: false);

    public bool SharedWithOtherNodes => false;

    public ValueTask<BackfillTurn> MayRunAsync(string collection, string migrationId, CancellationToken cancellationToken) => ValueTask.FromResult(Always);

    public ValueTask BackOffAsync(string collection, string migrationId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ReleaseOthersAsync(IReadOnlySet<(string Collection, string Migration)> current, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ReleaseAllAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

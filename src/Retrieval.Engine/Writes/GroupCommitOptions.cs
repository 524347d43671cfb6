namespace Retrieval.Engine.Writes;

/// <summary>
/// Group commit: batches written to one collection while a commit is in flight wait for it, then commit together in one
/// store transaction (one durable flush), each under its own sequence, each acknowledged after that commit.
/// </summary>
public sealed class GroupCommitOptions
{
    /// <summary>
    /// The most batches one transaction takes. 1 (the default for now) commits every batch alone: on PostgreSQL one
    /// pipelined stream with grouping on stalled for about a minute in the issue 16 benchmark (docs/benchmarks.md),
    /// cause not yet found; 64 is the setting measured there.
    /// </summary>
    public int MaxBatches { get; set; } = 1;

    /// <summary>
    /// A transaction takes no further batch once it holds this many items (a single larger batch still commits, alone), so
    /// that one commit's size and the memory of its statements stay bounded. Default 50000.
    /// </summary>
    public int MaxItems { get; set; } = 50_000;
}

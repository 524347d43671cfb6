using Retrieval.Engine.Filtering;

namespace Retrieval.Engine;

/// <summary>Limits and behaviour of the engine. Bound from the <c>Retrieval:Limits</c> configuration section.</summary>
public sealed class EngineOptions
{
    /// <summary>Largest k (and offset + k) of one search. Default 10000.</summary>
    public int MaxK { get; set; } = 10_000;

    /// <summary>Most items in one upsert/delete/get batch. Default 10000.</summary>
    public int MaxBatchItems { get; set; } = 10_000;

    /// <summary>Largest K' (FDE shortlist reranked by exact Chamfer) of one multi-vector search. Default 10000.</summary>
    public int MaxCandidates { get; set; } = 10_000;

    /// <summary>Most searches in one search batch. Default 1000.</summary>
    public int MaxSearchBatch { get; set; } = 1_000;

    /// <summary>Largest payload, in UTF-8 bytes of its JSON text. Default 65536.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Largest page of a scroll. Default 10000; a request without a limit gets 100.</summary>
    public int MaxScrollLimit { get; set; } = 10_000;

    /// <summary>
    /// Most hits a grouped search (groupBy) reads to fill its groups: it reads deeper and deeper (doubling) until the
    /// first k groups hold groupSize hits each, the collection has no more matching hits, or this many were read.
    /// Default 10000.
    /// </summary>
    public int MaxGroupSearchDepth { get; set; } = 10_000;

    /// <summary>
    /// Most bytes the in-memory indexes of every collection together may hold: live vectors' float32 rows, their share
    /// of the approximate indexes (HNSW graphs, IVF lists) and multi-vector spaces' kept token vectors, as
    /// GetCollection reports them per space. A write that would pass it is refused with RESOURCE_EXHAUSTED before it
    /// is committed, and changes nothing; deletes and dropped collections free their bytes at once. 0 (the default)
    /// means unlimited. Leave headroom below the machine's memory: payloads, payload indexes, index builds in progress
    /// and spare capacity are not counted (docs/operations.md).
    /// </summary>
    public long MaxVectorMemoryBytes { get; set; }

    /// <summary>
    /// Default wall-clock seconds a MAP_KIND_AUTO fit spends cross-validating its candidate kinds (a request's
    /// <c>autoBudgetSeconds</c> overrides it); the final fit of the chosen kind comes on top. Finite and ≥ 0; 0 scores only
    /// the first candidate (orthogonal). Default 120.
    /// </summary>
    public double AutoMapBudgetSeconds { get; set; } = 120;

    /// <summary>Log a load-progress line every this many items. Default 100000.</summary>
    public int LoadProgressInterval { get; set; } = 100_000;

    /// <summary>Automatic payload indexes for filtered reads (on by default).</summary>
    public PayloadIndexOptions PayloadIndexes { get; set; } = new();

    /// <summary>The search micro-batcher: concurrent single searches answered by one batch-kernel pass (off by default).</summary>
    public Search.SearchBatchingOptions SearchBatching { get; set; } = new();

    /// <summary>Group commit of concurrent write batches to one collection (off by default: MaxBatches 1).</summary>
    public Writes.GroupCommitOptions GroupCommit { get; set; } = new();
}

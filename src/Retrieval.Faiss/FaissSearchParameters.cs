namespace Retrieval.Faiss;

/// <summary>
/// Per-search settings. Each is optional, and each is ignored by index types that lack it, so one
/// instance can be passed to every index of a collection.
/// </summary>
public sealed class FaissSearchParameters
{
    /// <summary>HNSW candidate list size (efSearch). Default: the index's own (Faiss: 16). Higher: better recall, slower.</summary>
    public int? EfSearch { get; init; }

    /// <summary>IVF lists visited per query (nprobe). Default: the index's own (Faiss: 1). Higher: better recall, slower.</summary>
    public int? NProbe { get; init; }

    /// <summary>
    /// OpenMP threads of this call: Faiss spreads a batch of queries over them (a single query runs on one thread
    /// whatever this says). Default: the calling thread's <see cref="FaissRuntime.UseThreadsOnThisThread"/> setting,
    /// else <see cref="FaissRuntime.ThreadCount"/>.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>When set, only these ids may be returned. Default: no filter.</summary>
    public FaissIdFilter? Filter { get; init; }
}

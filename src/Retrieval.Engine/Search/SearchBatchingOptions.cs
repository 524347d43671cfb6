namespace Retrieval.Engine.Search;

/// <summary>
/// The search micro-batcher (<c>Retrieval:Limits:SearchBatching</c>): concurrent single searches that wait for a core
/// anyway are answered together by one pass of the batch kernel. Off by default.
/// </summary>
public sealed class SearchBatchingOptions
{
    /// <summary>
    /// Coalesce concurrent single searches of one collection and space into one batch-kernel pass when the server is busy.
    /// A search is never held back to wait for company: it runs at once unless <see cref="MaxRunning"/> searches of its
    /// space already run, and only then joins the next batch. Answers are identical either way. Default false.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Most searches answered by one batch; at most the engine's <c>MaxSearchBatch</c>. Default 64.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>
    /// Searches (single or batched) of one collection and space that run at once before further ones queue for a batch;
    /// 0 (the default) means one per core.
    /// </summary>
    public int MaxRunning { get; set; }
}

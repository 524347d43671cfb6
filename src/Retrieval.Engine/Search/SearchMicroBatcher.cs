using System.Collections.Concurrent;
using Retrieval.Core.Errors;

namespace Retrieval.Engine.Search;

/// <summary>
/// Coalesces concurrent single searches of one collection and space into one pass of the batch kernel (the blocked
/// scan that <see cref="ShardFanOut"/> runs for a search batch), the encoders' "natural" batching applied to search:
/// a search runs at once on its caller's thread while fewer than <see cref="SearchBatchingOptions.MaxRunning"/>
/// searches of its lane run; otherwise it queues, and the next search of the lane to finish takes everything queued
/// (up to <see cref="SearchBatchingOptions.MaxBatch"/>) as one batch. Nothing ever waits for company, so an idle
/// server answers exactly as without the batcher; only searches that would have waited for a core are batched.
/// </summary>
/// <remarks>
/// Only searches whose answers the batch kernel gives identically are coalesced: dense, unfiltered, ungrouped, by
/// vector (not item id), without a target space, on a space that no shard has sealed (an exact space, or one whose
/// rows are all still in the appendable segment). Anything else, and everything while the batcher is off, runs as a
/// plain single search. A batch that fails (one query invalid, the collection dropped meanwhile) is answered query by
/// query, so each search gets the error, and the field names, a single search would have got.
/// </remarks>
internal sealed class SearchMicroBatcher
{
    private readonly Searcher _searcher;
    private readonly SearchBatchingOptions _options;
    private readonly int _maxBatch;
    private readonly int _maxRunning;
    private readonly ConcurrentDictionary<(string Collection, string Space), Lane> _lanes = new();
    private long _coalesced;

    public SearchMicroBatcher(Searcher searcher, EngineOptions options)
    {
        _searcher = searcher;
        _options = options.SearchBatching;
        _maxBatch = Math.Clamp(_options.MaxBatch, 1, Math.Max(1, options.MaxSearchBatch));
        _maxRunning = _options.MaxRunning > 0 ? _options.MaxRunning : Environment.ProcessorCount;
    }

    /// <summary>Single searches this batcher answered in batches of two or more, so far.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>
    /// One search: completed on return when it ran at once (the common case), pending when it joined a batch. Errors of
    /// a search that ran at once are thrown here, as <see cref="Searcher.Search"/> throws them.
    /// </summary>
    public ValueTask<SearchResult> SearchAsync(string collection, SearchQuery query)
    {
        if (!_options.Enabled || !_searcher.SharesBatchKernel(collection, query))
        {
            return new ValueTask<SearchResult>(SearchAlone(collection, query));
        }

        var lane = _lanes.GetOrAdd((collection, query.Space ?? ""), static _ => new Lane());
        lock (lane)
        {
            if (lane.Running >= _maxRunning)
            {
                var waiter = new Waiter(query);
                lane.Queue.Enqueue(waiter);
                return new ValueTask<SearchResult>(waiter.Completion.Task);
            }

            lane.Running++;
        }

        try
        {
            RunningAlone?.Invoke();
            return new ValueTask<SearchResult>(SearchAlone(collection, query));
        }
        finally
        {
            HandOn(collection, lane);
        }
    }

    /// <summary>Tests: called on a search's own thread once it holds a running slot of its lane, before it searches.</summary>
    internal Action? RunningAlone { get; set; }

    /// <summary>Tests: searches of a collection and space waiting for the next batch now.</summary>
    internal int Queued(string collection, string space)
    {
        if (!_lanes.TryGetValue((collection, space), out var lane))
        {
            return 0;
        }

        lock (lane)
        {
            return lane.Queue.Count;
        }
    }

    private SearchResult SearchAlone(string collection, SearchQuery query) => _searcher.Search(collection, [query], batchField: null)[0];

    /// <summary>
    /// A search of the lane finished: its running slot passes to a batch of what queued meanwhile (run on the thread
    /// pool, so that the finishing caller answers first), or is given up when nothing queued.
    /// </summary>
    private void HandOn(string collection, Lane lane)
    {
        Waiter[] batch;
        lock (lane)
        {
            if (lane.Queue.Count == 0)
            {
                lane.Running--;
                return;
            }

            batch = new Waiter[Math.Min(lane.Queue.Count, _maxBatch)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = lane.Queue.Dequeue();
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Batcher.RunBatch(state.Collection, state.Lane, state.Batch), (Batcher: this, Collection: collection, Lane: lane, Batch: batch), preferLocal: false);
    }

    private void RunBatch(string collection, Lane lane, Waiter[] batch)
    {
        try
        {
            if (batch.Length == 1)
            {
                Answer(collection, batch[0]);
                return;
            }

            var queries = new SearchQuery[batch.Length];
            for (var i = 0; i < batch.Length; i++)
            {
                queries[i] = batch[i].Query;
            }

            SearchResult[] results;
            try
            {
                results = _searcher.Search(collection, queries, FieldPath.Of("searches"));
            }
            catch (Exception)
            {
                // One query the batch refused (or the collection changed under it): each search on its own, so each
                // gets its own answer or its own single-search error.
                foreach (var waiter in batch)
                {
                    Answer(collection, waiter);
                }

                return;
            }

            Interlocked.Add(ref _coalesced, batch.Length);
            SearchMetrics.CoalescedBatch(batch.Length);
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            // Whatever else went wrong reaches every caller still waiting, as their search's failure.
            foreach (var waiter in batch)
            {
                waiter.Completion.TrySetException(e);
            }
        }
        finally
        {
            HandOn(collection, lane);
        }
    }

    private void Answer(string collection, Waiter waiter)
    {
        try
        {
            waiter.Completion.TrySetResult(SearchAlone(collection, waiter.Query));
        }
        catch (Exception e)
        {
            waiter.Completion.TrySetException(e);
        }
    }

    /// <summary>The searches of one collection and space: how many run now, and those queued for the next batch. Guarded by its own lock.</summary>
    private sealed class Lane
    {
        public int Running;

        public readonly Queue<Waiter> Queue = new();
    }

    private sealed class Waiter(SearchQuery query)
    {
        public SearchQuery Query { get; } = query;

        // Continuations (the caller's response) run on the pool, not one after another on the batch's thread.
        public TaskCompletionSource<SearchResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

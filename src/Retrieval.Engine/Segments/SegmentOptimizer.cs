using Microsoft.Extensions.Logging;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Segments;

/// <summary>
/// The background worker that seals appendable segments and builds, rebuilds and merges indexed ones, off the write
/// path: rows are copied under the read lock, the index is built with no lock held, and the new segment replaces its
/// sources under a short write lock. Searches never wait for a build; writes wait only for those short swaps. Each
/// shard has at most one job at a time, and up to <see cref="IndexingOptions.ConcurrentBuilds"/> shards build at once,
/// so a collection of several shards is indexed in parallel. After a build it writes that shard's snapshot.
/// </summary>
internal sealed class SegmentOptimizer : IAsyncDisposable
{
    private readonly Func<IEnumerable<CollectionState>> _collections;
    private readonly IndexingOptions _options;
    private readonly SnapshotStore? _snapshots;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();

    // Shards with a job running; a plan is only valid until the shard's next job runs, so a shard is never planned twice.
    // A monitor, not a Lock: RunOneJob waits on it for a busy shard to be released.
    private readonly object _claimSync = new();
    private readonly HashSet<Shard> _busy = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    public SegmentOptimizer(Func<IEnumerable<CollectionState>> collections, IndexingOptions options, SnapshotStore? snapshots, ILogger logger)
    {
        _collections = collections;
        _options = options;
        _snapshots = snapshots;
        _logger = logger;
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Asks the worker to look for work now (after writes or a spec change). Never blocks.</summary>
    public void Wake() =>
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        while (!cancellationToken.IsCancellationRequested)
        {
            // Read the wake signal before planning, so a wake that comes while planning is not lost.
            var woken = Volatile.Read(ref _wake).Task;
            while (running.Count < _options.ConcurrentBuilds && TryClaim(out var claimed))
            {
                running.Add(Task.Run(() => RunClaimed(claimed, cancellationToken), CancellationToken.None));
            }

            try
            {
                var idle = Task.Delay(_options.OptimizerIntervalMs, cancellationToken);
                await Task.WhenAny([.. running, woken, idle]);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            running.RemoveAll(t => t.IsCompleted);
        }

        // A build in flight stops at its next chunk; wait for it so nothing touches the indexes after disposal.
        await Task.WhenAll(running);
    }

    /// <summary>Runs one claimed job; a failure is logged and the job is planned again next round.</summary>
    private void RunClaimed(ClaimedJob claimed, CancellationToken cancellationToken)
    {
        try
        {
            Execute(claimed, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the build is abandoned, and redone after the restart.
        }
        catch (Exception exception)
        {
            // A bug in one job must not stop indexing for good.
            Log.OptimizerFailed(_logger, exception);
        }
        finally
        {
            Release(claimed.Shard);
            Wake();
        }
    }

    /// <summary>
    /// Runs the first job found in any shard that is not busy, on the calling thread; false when there was nothing to do.
    /// While the background loop holds a shard, it waits for that job and plans again, so "false" means no work is left
    /// anywhere. Tests and benchmarks call it to wait for builds deterministically.
    /// </summary>
    internal bool RunOneJob(CancellationToken cancellationToken)
    {
        ClaimedJob claimed;
        lock (_claimSync)
        {
            while (!TryClaim(out claimed))
            {
                if (_busy.Count == 0)
                {
                    return false;
                }

                Monitor.Wait(_claimSync, TimeSpan.FromMilliseconds(100));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        try
        {
            Execute(claimed, cancellationToken);
        }
        finally
        {
            Release(claimed.Shard);
        }

        return true;
    }

    /// <summary>Plans shard by shard and claims the first shard with work.</summary>
    private bool TryClaim(out ClaimedJob claimed)
    {
        lock (_claimSync)
        {
            foreach (var state in _collections())
            {
                if (state.IsDeleted)
                {
                    continue;
                }

                foreach (var shard in state.Shards)
                {
                    if (_busy.Contains(shard))
                    {
                        continue;
                    }

                    foreach (var (name, space) in state.Read(_ => shard.IndexedSpaces.ToList()))
                    {
                        if (state.Read(_ => OptimizerPlanner.Plan(space, _options)) is { } job)
                        {
                            _busy.Add(shard);
                            claimed = new ClaimedJob(state, shard, name, space, job);
                            return true;
                        }
                    }
                }
            }
        }

        claimed = default;
        return false;
    }

    private void Release(Shard shard)
    {
        lock (_claimSync)
        {
            _busy.Remove(shard);
            Monitor.PulseAll(_claimSync);
        }
    }

    private void Execute(ClaimedJob claimed, CancellationToken cancellationToken)
    {
        var (state, shard, name, space, job) = claimed;
        switch (job)
        {
            case OptimizerJob.Seal:
                state.Write(_ =>
                {
                    var segment = space.Seal();
                    Log.SegmentSealed(_logger, state.Definition.Name, shard.Number, name, segment.Id, segment.Count);
                });
                break;
            case OptimizerJob.Build build:
                Build(
                    state, shard, name, space, build.Sources, build.Spec, build.Reason,
                    () => (SegmentCopy.LiveRows(build.Sources, space.Definition.Dimension), null),
                    (copy, _, progress, token) => IndexBuilder.Build(build.Spec, space.Definition.Metric, copy.Storage, _options, (done, _) => progress.Report(done), token),
                    keepsGraphOnFailure: null,
                    cancellationToken);
                break;
            case OptimizerJob.MergeIntoGraph merge:
                var sources = merge.Sources;
                Build(
                    state, shard, name, space, sources, merge.Spec, merge.Reason,
                    () =>
                    {
                        var copy = SegmentCopy.Extending(merge.Base, merge.Others, space.Definition.Dimension);
                        return (copy, ((IGrowableGraphIndex)merge.Base.Index!).CopyWithRoomFor(copy.Storage.Count, _options));
                    },
                    (copy, graph, progress, token) => GraphGrowth.AddRows(graph!, copy.Storage, merge.Base.Count, progress, token),
                    merge.Base,
                    cancellationToken);
                break;
        }
    }

    private readonly record struct ClaimedJob(CollectionState State, Shard Shard, string SpaceName, SpaceIndex Space, OptimizerJob Job);

    /// <summary>
    /// Builds one segment to replace <paramref name="sources"/>: <paramref name="prepare"/> copies the rows (and, for a
    /// merge into a graph, that graph) under the read lock; <paramref name="make"/> builds with no lock held, taking
    /// ownership of the prepared index; a short write lock swaps the result in.
    /// </summary>
    private void Build(
        CollectionState state,
        Shard shard,
        string spaceName,
        SpaceIndex space,
        IReadOnlyList<SealedSegment> sources,
        IndexSpec spec,
        string reason,
        Func<(SegmentCopy Copy, IVectorIndex? Start)> prepare,
        Func<SegmentCopy, IVectorIndex?, BuildProgress, CancellationToken, IVectorIndex> make,
        SealedSegment? keepsGraphOnFailure,
        CancellationToken cancellationToken)
    {
        var collection = state.Definition.Name;
        var (copy, start) = state.Read(_ => prepare());
        var sourceIds = sources.Select(s => s.Id).ToArray();
        Log.BuildStarted(_logger, collection, shard.Number, spaceName, spec.ToString(), string.Join(",", sourceIds), copy.Storage.Count, reason);
        var started = System.Diagnostics.Stopwatch.StartNew();
        IVectorIndex? index = null;
        string? error = null;
        if (copy.Storage.Count > 0)
        {
            var progress = new BuildProgress(sourceIds, spec.ToString(), copy.Storage.Count);
            space.CurrentBuild = progress;
            try
            {
                index = make(copy, start, progress, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                error = exception.Message;
                Log.BuildFailed(_logger, collection, shard.Number, spaceName, spec.ToString(), exception);
            }
            finally
            {
                space.CurrentBuild = null;
                if (index is null)
                {
                    start?.Dispose();
                }
            }
        }
        else
        {
            start?.Dispose();
        }

        var swapped = state.Write(s =>
        {
            // The space may have been removed, re-specified or rebuilt from a snapshot meanwhile: then the work is void.
            if (s.IsDeleted || !shard.IndexedSpaces.Any(p => ReferenceEquals(p.Value, space)) || space.Spec != spec ||
                !sources.All(space.Sealed.Contains))
            {
                return false;
            }

            if (error is not null)
            {
                foreach (var source in sources)
                {
                    // A merge's base keeps its graph; the rows that were to join it stay searched exactly.
                    if (!ReferenceEquals(source, keepsGraphOnFailure))
                    {
                        source.BuildError = error;
                        source.FailedFor = spec;
                    }
                }

                return false;
            }

            var replacement = index is null
                ? null
                : new SealedSegment(space.NextSegmentId++, copy.Storage, copy.RowToSlot, index) { BuiltFor = spec };
            space.Replace(sources, replacement, copy.Provenance);
            return true;
        });

        if (!swapped)
        {
            index?.Dispose();
            return;
        }

        Log.BuildFinished(_logger, collection, shard.Number, spaceName, spec.ToString(), copy.Storage.Count, started.ElapsedMilliseconds);
        if (_snapshots is not null && _options.SnapshotAfterBuild)
        {
            _snapshots.TryWrite(state, shard);
        }
    }
}

using Microsoft.Extensions.Logging;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Snapshots;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Segments;

/// <summary>
/// The background worker that seals appendable segments and builds, rebuilds and merges indexed ones, one job at a
/// time, off the write path: rows are copied under the read lock, the index is built with no lock held, and the new
/// segment replaces its sources under a short write lock. Searches never wait for a build; writes wait only for
/// those short swaps. After a build it writes the collection's snapshot.
/// </summary>
internal sealed class SegmentOptimizer : IAsyncDisposable
{
    private readonly Func<IEnumerable<CollectionState>> _collections;
    private readonly IndexingOptions _options;
    private readonly SnapshotStore? _snapshots;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();

    // Serializes jobs between the background loop and RunOptimizerUntilIdle callers: a plan is only valid
    // until the next job runs.
    private readonly Lock _jobLock = new();
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
    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another writer woke it between the check and the release: one wake-up is enough.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_options.OptimizerIntervalMs, cancellationToken);
                while (!cancellationToken.IsCancellationRequested && RunOneJob(cancellationToken))
                {
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // A bug in one job must not stop indexing for good; the job is planned again next round.
                Log.OptimizerFailed(_logger, exception);
            }
        }
    }

    /// <summary>Runs the first job found in any collection; false when there was nothing to do.</summary>
    internal bool RunOneJob(CancellationToken cancellationToken)
    {
        lock (_jobLock)
        {
            return RunFirstJob(cancellationToken);
        }
    }

    private bool RunFirstJob(CancellationToken cancellationToken)
    {
        foreach (var state in _collections())
        {
            if (state.IsDeleted)
            {
                continue;
            }

            foreach (var (name, space) in Locked.Read(state, s => s.IndexedSpaces.ToList()))
            {
                var job = Locked.Read(state, _ => OptimizerPlanner.Plan(space, _options));
                switch (job)
                {
                    case OptimizerJob.Seal:
                        Locked.Write(state, _ =>
                        {
                            var segment = space.Seal();
                            Log.SegmentSealed(_logger, state.Definition.Name, name, segment.Id, segment.Count);
                        });
                        return true;
                    case OptimizerJob.Build build:
                        Build(state, name, space, build, cancellationToken);
                        return true;
                }
            }
        }

        return false;
    }

    private void Build(CollectionState state, string spaceName, SpaceIndex space, OptimizerJob.Build job, CancellationToken cancellationToken)
    {
        var collection = state.Definition.Name;
        var copy = Locked.Read(state, _ => SegmentCopy.LiveRows(job.Sources, space.Definition.Dimension));
        var sourceIds = job.Sources.Select(s => s.Id).ToArray();
        Log.BuildStarted(_logger, collection, spaceName, job.Spec.ToString(), string.Join(",", sourceIds), copy.Storage.Count, job.Reason);
        var started = System.Diagnostics.Stopwatch.StartNew();
        IVectorIndex? index = null;
        string? error = null;
        if (copy.Storage.Count > 0)
        {
            var progress = new BuildProgress(sourceIds, job.Spec.ToString(), copy.Storage.Count);
            space.CurrentBuild = progress;
            try
            {
                index = IndexBuilder.Build(job.Spec, space.Definition.Metric, copy.Storage, _options, (done, _) => progress.Report(done), cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                error = exception.Message;
                Log.BuildFailed(_logger, collection, spaceName, job.Spec.ToString(), exception);
            }
            finally
            {
                space.CurrentBuild = null;
            }
        }

        var swapped = Locked.Write(state, s =>
        {
            // The space may have been removed, re-specified or rebuilt from a snapshot meanwhile: then the work is void.
            if (s.IsDeleted || !s.IndexedSpaces.Any(p => ReferenceEquals(p.Value, space)) || space.Spec != job.Spec ||
                !job.Sources.All(space.Sealed.Contains))
            {
                return false;
            }

            if (error is not null)
            {
                foreach (var source in job.Sources)
                {
                    source.BuildError = error;
                    source.FailedFor = job.Spec;
                }

                return false;
            }

            var replacement = index is null
                ? null
                : new SealedSegment(space.NextSegmentId++, copy.Storage, copy.RowToSlot, index) { BuiltFor = job.Spec };
            space.Replace(job.Sources, replacement, copy.Provenance);
            return true;
        });

        if (!swapped)
        {
            index?.Dispose();
            return;
        }

        Log.BuildFinished(_logger, collection, spaceName, job.Spec.ToString(), copy.Storage.Count, started.ElapsedMilliseconds);
        if (_snapshots is not null && _options.SnapshotAfterBuild)
        {
            _snapshots.TryWrite(state);
        }
    }
}

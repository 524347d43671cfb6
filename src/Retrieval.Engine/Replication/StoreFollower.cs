using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Replication;

/// <summary>
/// Keeps a cluster node level with the shared store of record: one loop that wakes on the store's change notices and
/// on a poll, reads the versions, and applies what other nodes changed: collections created, deleted or redefined, maps,
/// migrations, aliases (<see cref="CatalogFollower"/>) and item batches (<see cref="ChangeCatchUp"/>), each under the
/// collection's write gate. A request naming a collection this node does not know waits for one round before its
/// NOT_FOUND. Rounds never overlap, so every collection is changed by one follower at a time.
/// </summary>
internal sealed class StoreFollower : IAsyncDisposable
{
    private readonly IStoreChangeFeed _feed;
    private readonly CollectionCatalog _catalog;
    private readonly CatalogFollower _catalogFollower;
    private readonly ChangeCatchUp _catchUp;
    private readonly StoreFollowOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Wake> _wakes = Channel.CreateUnbounded<Wake>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private Task? _listen;

    public StoreFollower(
        IStoreChangeFeed feed, CollectionCatalog catalog, CatalogFollower catalogFollower, ChangeCatchUp catchUp, StoreFollowOptions options, ILogger logger)
    {
        _feed = feed;
        _catalog = catalog;
        _catalogFollower = catalogFollower;
        _catchUp = catchUp;
        _options = options;
        _logger = logger;
        _catchUp.MigrationStale = name => _wakes.Writer.TryWrite(new Wake(WakeKind.Migration, name, 0, null));
    }

    /// <summary>Rounds completed (tests wait on it).</summary>
    public long Rounds { get; private set; }

    /// <summary>
    /// Starts listening, then runs <paramref name="load"/> (the catalog's start-up load), which calls back once the store
    /// is open and before it reads anything, to read the store's versions; so any change committed after the versions
    /// were read is noticed. Then starts the loop.
    /// </summary>
    public async Task StartAsync(Func<Func<CancellationToken, Task>, CancellationToken, Task> load, CancellationToken cancellationToken)
    {
        FollowLog.Following(_logger, _options.Listen, _options.PollIntervalMilliseconds);
        if (_options.Listen)
        {
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _listen = ListenLoopAsync(listening, _stop.Token);
            await listening.Task.WaitAsync(cancellationToken);
        }

        // Versions before the load (once the store is open): a change another node commits during the load leaves the
        // store ahead of what was recorded, so the first round applies it (recorded afterwards, it would pass as applied).
        StoreVersions? versions = null;
        await load(async ct => versions = await _feed.ReadVersionsAsync(ct), cancellationToken);
        _catalogFollower.Record(versions ?? throw new InvalidOperationException("the start-up load did not read the store's versions"));
        _catalog.MissRefresh = RefreshAfterMiss;
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Runs one full round now and waits for it (tests, and a request that named an unknown collection).</summary>
    public Task RefreshAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _wakes.Writer.TryWrite(new Wake(WakeKind.Full, null, 0, done));
        return done.Task;
    }

    private bool RefreshAfterMiss()
    {
        var round = RefreshAsync();
        // Requests are synchronous up to here (searches and reads are): this waits on a pool thread, bounded, and
        // concurrent misses share the next round.
        try
        {
            return round.Wait(_options.MissRefreshMilliseconds);
        }
        catch (AggregateException e) when (e.InnerException is DbException or StoreUnavailableException)
        {
            // The store could not say whether the collection exists: UNAVAILABLE, not NOT_FOUND.
            throw new StoreUnavailableException(
                $"the store could not be read to look up a collection this node does not know: {e.InnerException.Message}",
                StoreWriteOutcome.NotCommitted,
                e.InnerException);
        }
    }

    private async Task ListenLoopAsync(TaskCompletionSource firstListening, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _feed.ListenAsync(
                    () =>
                    {
                        firstListening.TrySetResult();
                        // Whatever was committed while not listening is found by a full round.
                        _wakes.Writer.TryWrite(new Wake(WakeKind.Full, null, 0, null));
                    },
                    notice => _wakes.Writer.TryWrite(notice.Kind == StoreChangeKind.Items
                        ? new Wake(WakeKind.Items, notice.Collection, notice.Sequence, null)
                        : new Wake(WakeKind.Full, notice.Collection, 0, null)),
                    cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The first connection failing must not hold up start-up: the poll follows the store meanwhile.
                firstListening.TrySetResult();
                FollowLog.ListenLost(_logger, e.Message, _options.ListenRetryMilliseconds);
            }

            try
            {
                await Task.Delay(_options.ListenRetryMilliseconds, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var poll = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Max(0, _options.PollIntervalMilliseconds - poll.ElapsedMilliseconds));
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(wait);
                await _wakes.Reader.WaitToReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The poll is due.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var full = poll.ElapsedMilliseconds >= _options.PollIntervalMilliseconds;
            var items = new Dictionary<string, long>(StringComparer.Ordinal);
            var migrations = new HashSet<string>(StringComparer.Ordinal);
            var waiting = new List<TaskCompletionSource>();
            while (_wakes.Reader.TryRead(out var wake))
            {
                switch (wake.Kind)
                {
                    case WakeKind.Items:
                        items[wake.Collection!] = Math.Max(items.GetValueOrDefault(wake.Collection!), wake.Sequence);
                        break;
                    case WakeKind.Migration:
                        migrations.Add(wake.Collection!);
                        break;
                    default:
                        full = true;
                        break;
                }

                if (wake.Done is { } done)
                {
                    waiting.Add(done);
                }
            }

            try
            {
                if (full)
                {
                    poll.Restart();
                    await FullRoundAsync(cancellationToken);
                }
                else
                {
                    await CatchUpAsync(items, cancellationToken);
                }

                foreach (var name in migrations)
                {
                    await _catalogFollower.ReloadMigrationAsync(name, cancellationToken);
                }

                Rounds++;
                waiting.ForEach(w => w.TrySetResult());
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                waiting.ForEach(w => w.TrySetCanceled(cancellationToken));
                return;
            }
            catch (Exception e)
            {
                // A failed round (the store unreachable, say) is retried whole at the next poll; nothing is half applied
                // beyond whole batches, and the applied sequence says where the next catch-up starts.
                FollowLog.RoundFailed(_logger, e.Message);
                waiting.ForEach(w => w.TrySetException(e));
                poll.Restart();
                _wakes.Writer.TryWrite(new Wake(WakeKind.Full, null, 0, null));
                await Task.Delay(Math.Min(_options.PollIntervalMilliseconds, 1000), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // Item notices: the named collections behind the noticed sequence catch up; an unknown one needs a full round.
    private async Task CatchUpAsync(Dictionary<string, long> notices, CancellationToken cancellationToken)
    {
        foreach (var (name, sequence) in notices)
        {
            if (_catalog.Find(name) is not { } state)
            {
                await FullRoundAsync(cancellationToken);
                return;
            }

            if (state.AppliedSequence < sequence)
            {
                await CatchUpAsync(state, cancellationToken);
            }
        }
    }

    // The versions against what this node holds: catalog changes first, then every collection behind catches up.
    private async Task FullRoundAsync(CancellationToken cancellationToken)
    {
        foreach (var state in await _catalogFollower.SyncAsync(await _feed.ReadVersionsAsync(cancellationToken), cancellationToken))
        {
            await CatchUpAsync(state, cancellationToken);
        }
    }

    /// <summary>Applies what other nodes committed to the collection since this node's applied sequence, under its write gate.</summary>
    public async Task CatchUpAsync(CollectionState state, CancellationToken cancellationToken)
    {
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (!state.IsDeleted && await _catchUp.ApplyAsync(state, long.MaxValue, cancellationToken) > 0 && state.Migration is not null)
            {
                await _catalogFollower.ReloadMigrationLockedAsync(state, cancellationToken);
            }
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _catalog.MissRefresh = null;
        await _stop.CancelAsync();
        _wakes.Writer.TryComplete();
        foreach (var task in new[] { _loop, _listen })
        {
            if (task is not null)
            {
                await task.ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        _stop.Dispose();
        await _feed.DisposeAsync();
    }

    private enum WakeKind
    {
        Full,
        Items,
        Migration,
    }

    private sealed record Wake(WakeKind Kind, string? Collection, long Sequence, TaskCompletionSource? Done);
}

using Retrieval.Core.Storage;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Cluster mode's runner gate: a node runs a migration's backfill only while it holds that migration's lease in the shared
/// store (<see cref="IBackfillLeaseStore"/>: holder, expiry, taken and renewed by compare-and-set on the database's clock).
/// The holder renews after a third of the lease has passed; another node takes it only after it expired, so a dead
/// runner's migration resumes elsewhere within about <see cref="BackfillWorkerOptions.LeaseSeconds"/> plus one retry
/// interval. A holder that cannot renew stops running when its own (conservative) view of the lease ends. Should a step
/// outlive the lease anyway (a pause longer than the lease), the store's compare-and-set on the worker cursor refuses the
/// stale step (<see cref="MigrationMarks.WorkerStep"/>).
/// </summary>
internal sealed partial class BackfillLeaseGate : IBackfillRunnerGate
{
    private readonly IBackfillLeaseStore _store;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _retry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Leases this node holds, with when to renew and when its own view of each ends (local monotonic timestamps).</summary>
    private readonly Dictionary<(string Collection, string Migration), Held> _held = [];

    /// <summary>When this node may next try to take a lease it does not hold (local monotonic timestamp).</summary>
    private readonly Dictionary<(string Collection, string Migration), long> _nextTry = [];

    public BackfillLeaseGate(IBackfillLeaseStore store, string nodeName, BackfillWorkerOptions options, TimeProvider time, ILogger<BackfillLeaseGate> logger)
    {
        _store = store;
        _duration = TimeSpan.FromSeconds(options.LeaseSeconds);
        _retry = TimeSpan.FromMilliseconds(options.IdleDelayMilliseconds);
        _time = time;
        _logger = logger;
        // One incarnation, one holder: a restarted node does not inherit what its killed predecessor held.
        Holder = $"{nodeName}/{Guid.NewGuid().ToString("N")[..12]}";
    }

    public bool SharedWithOtherNodes => true;

    /// <summary>This node incarnation's name in the lease rows.</summary>
    public string Holder { get; }

    public async ValueTask<BackfillTurn> MayRunAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        var key = (collection, migrationId);
        var now = _time.GetTimestamp();
        var held = _held.GetValueOrDefault(key);
        if (held is not null && now < held.RenewAt)
        {
            return new BackfillTurn(MayRun: true, TakenOver: false);
        }

        if (held is null && _nextTry.TryGetValue(key, out var next) && now < next)
        {
            return BackfillTurn.No;
        }

        BackfillLease? lease;
        try
        {
            lease = await _store.TryTakeBackfillLeaseAsync(collection, migrationId, Holder, _duration, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store is unreachable: run on only while this node's own view of a held lease lasts.
            LogLeaseError(_logger, collection, migrationId, e);
            _nextTry[key] = now + Ticks(_retry);
            return new BackfillTurn(MayRun: held is not null && _time.GetTimestamp() < held.ValidUntil, TakenOver: false);
        }

        if (lease is null)
        {
            if (held is not null)
            {
                _held.Remove(key);
                LogLeaseLost(_logger, collection, migrationId);
            }

            _nextTry[key] = now + Ticks(_retry);
            return BackfillTurn.No;
        }

        // Measured from before the statement was sent, this node's view ends no later than the store's expiry.
        _held[key] = new Held(lease.Epoch, RenewAt: now + Ticks(_duration / 3), ValidUntil: now + Ticks(_duration));
        _nextTry.Remove(key);
        var takenOver = held is null || held.Epoch != lease.Epoch;
        if (takenOver)
        {
            LogLeaseTaken(_logger, collection, migrationId, lease.Epoch, Holder);
        }

        return new BackfillTurn(MayRun: true, takenOver);
    }

    /// <remarks>Waits one lease period before asking again: any other node asks sooner and takes it first.</remarks>
    public async ValueTask BackOffAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        var key = (collection, migrationId);
        if (_held.ContainsKey(key))
        {
            await ReleaseAsync(key, cancellationToken);
        }

        _nextTry[key] = _time.GetTimestamp() + Ticks(_duration);
    }

    public async ValueTask ReleaseOthersAsync(IReadOnlySet<(string Collection, string Migration)> current, CancellationToken cancellationToken)
    {
        foreach (var key in _nextTry.Keys.Where(k => !current.Contains(k)).ToList())
        {
            _nextTry.Remove(key);
        }

        foreach (var key in _held.Keys.Where(k => !current.Contains(k)).ToList())
        {
            await ReleaseAsync(key, cancellationToken);
        }
    }

    public async ValueTask ReleaseAllAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _held.Keys.ToList())
        {
            await ReleaseAsync(key, cancellationToken);
        }
    }

    private async ValueTask ReleaseAsync((string Collection, string Migration) key, CancellationToken cancellationToken)
    {
        _held.Remove(key);
        try
        {
            await _store.ReleaseBackfillLeaseAsync(key.Collection, key.Migration, Holder, cancellationToken);
            LogLeaseReleased(_logger, key.Collection, key.Migration);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not given back: it lapses at its expiry instead, and another node takes it then.
            LogLeaseError(_logger, key.Collection, key.Migration, e);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed record Held(long Epoch, long RenewAt, long ValidUntil);

    [LoggerMessage(2120, LogLevel.Information, "Took the backfill lease of migration {Migration} in collection {Collection} (epoch {Epoch}, holder {Holder}); its backfill runs on this node")]
    private static partial void LogLeaseTaken(ILogger logger, string collection, string migration, long epoch, string holder);

    [LoggerMessage(2121, LogLevel.Warning, "Lost the backfill lease of migration {Migration} in collection {Collection} to another node; this node stops running it")]
    private static partial void LogLeaseLost(ILogger logger, string collection, string migration);

    [LoggerMessage(2122, LogLevel.Information, "Released the backfill lease of migration {Migration} in collection {Collection}")]
    private static partial void LogLeaseReleased(ILogger logger, string collection, string migration);

    [LoggerMessage(2123, LogLevel.Warning, "Backfill lease of migration {Migration} in collection {Collection}: the store did not answer")]
    private static partial void LogLeaseError(ILogger logger, string collection, string migration, Exception exception);
}

using System.Diagnostics;
using Microsoft.Extensions.Options;
using Retrieval.Engine;

namespace Retrieval.Server.Hosting;

/// <summary>
/// The server-side backfill (source b): for every open migration in phase backfilling whose encoder a registered
/// <see cref="Engine.Migrations.IBackfillVectorProducer"/> serves, walks the collection in ordinal id order from the
/// committed cursor, one batch per transaction, throttled to the migration's items/s. Pause stops it after the current
/// batch; a restart (even after SIGKILL) continues from the cursor committed with the last batch. Before each step it
/// asks the <see cref="IBackfillRunnerGate"/>: on a cluster node only the lease holder runs a migration, and a node that
/// takes a migration over first adopts the store's progress.
/// </summary>
internal sealed partial class BackfillWorkerService(
    RetrievalEngine engine,
    IBackfillRunnerGate gate,
    IOptions<BackfillWorkerOptions> options,
    ILogger<BackfillWorkerService> logger) : BackgroundService
{
    /// <summary>How long shutdown waits to give the leases back before leaving them to expire.</summary>
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(3);

    /// <summary>Migrations whose stored progress this node adopts before its next step (taken over, or a step refused).</summary>
    private readonly HashSet<(string Collection, string Migration)> _adoptFirst = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        finally
        {
            using var release = new CancellationTokenSource(ReleaseBound);
            await gate.ReleaseAllAsync(release.Token);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            if (engine.IsReady)
            {
                var backfills = engine.ServerBackfills();
                foreach (var (collection, migration, rate) in backfills)
                {
                    var batch = rate > 0 ? (int)Math.Clamp(rate, 1, settings.BatchSize) : settings.BatchSize;
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        if (!await TakeTurnAsync(collection, migration, stoppingToken))
                        {
                            continue;
                        }

                        var walked = await engine.RunBackfillStepAsync(collection, batch, stoppingToken);
                        worked |= walked > 0;
                        if (walked > 0 && rate > 0)
                        {
                            // Throttle: this batch may take at most walked / rate seconds of the schedule.
                            var budget = TimeSpan.FromSeconds(walked / rate) - Stopwatch.GetElapsedTime(started);
                            if (budget > TimeSpan.Zero)
                            {
                                await Task.Delay(budget, stoppingToken);
                            }
                        }
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The step committed nothing (its transaction failed, its encoder failed, or the store refused
                        // it: the migration changed phase, or another node's runner moved its cursor). Retry later; in
                        // a cluster give the lease up for a while first, and resume from the stored progress.
                        LogStepFailed(logger, collection, migration, e);
                        if (gate.SharedWithOtherNodes)
                        {
                            _adoptFirst.Add((collection, migration));
                            await gate.BackOffAsync(collection, migration, stoppingToken);
                        }
                    }
                }

                var current = backfills.Select(b => (b.Collection, b.Migration)).ToHashSet();
                _adoptFirst.RemoveWhere(key => !current.Contains(key));
                await gate.ReleaseOthersAsync(current, stoppingToken);
            }

            if (!worked)
            {
                await Task.Delay(settings.IdleDelayMilliseconds, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>True when this node may run the migration's next step now, having adopted the stored progress where needed.</summary>
    private async Task<bool> TakeTurnAsync(string collection, string migration, CancellationToken cancellationToken)
    {
        var turn = await gate.MayRunAsync(collection, migration, cancellationToken);
        if (!turn.MayRun)
        {
            return false;
        }

        var key = (collection, migration);
        if (turn.TakenOver)
        {
            _adoptFirst.Add(key);
        }

        if (_adoptFirst.Contains(key))
        {
            if (!await engine.AdoptStoredBackfillProgressAsync(collection, migration, cancellationToken))
            {
                return false;
            }

            _adoptFirst.Remove(key);
        }

        return true;
    }

    [LoggerMessage(2101, LogLevel.Warning, "Backfill step of migration {Migration} in collection {Collection} failed; retrying")]
    private static partial void LogStepFailed(ILogger logger, string collection, string migration, Exception exception);
}

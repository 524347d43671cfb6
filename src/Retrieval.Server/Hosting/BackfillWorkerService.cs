using System.Diagnostics;
using Microsoft.Extensions.Options;
using Retrieval.Engine;

namespace Retrieval.Server.Hosting;

/// <summary>
/// The server-side backfill (source b): for every open migration in phase backfilling whose encoder a registered
/// <see cref="Engine.Migrations.IBackfillVectorProducer"/> serves, walks the collection in ordinal id order from the
/// committed cursor, one batch per transaction, throttled to the migration's items/s. Pause stops it after the current
/// batch; a restart (even after SIGKILL) continues from the cursor committed with the last batch.
/// </summary>
internal sealed partial class BackfillWorkerService(
    RetrievalEngine engine,
    IOptions<BackfillWorkerOptions> options,
    ILogger<BackfillWorkerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            if (engine.IsReady)
            {
                foreach (var (collection, migration, rate) in engine.ServerBackfills())
                {
                    var batch = rate > 0 ? (int)Math.Clamp(rate, 1, settings.BatchSize) : settings.BatchSize;
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
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
                        // The step committed nothing (its transaction failed) or its migration changed phase; retry later.
                        LogStepFailed(logger, collection, migration, e);
                    }
                }
            }

            if (!worked)
            {
                await Task.Delay(settings.IdleDelayMilliseconds, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(2101, LogLevel.Warning, "Backfill step of migration {Migration} in collection {Collection} failed; retrying")]
    private static partial void LogStepFailed(ILogger logger, string collection, string migration, Exception exception);
}

using Retrieval.Engine;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Loads the engine in the background so that Kestrel, <c>/healthz</c> and gRPC health answer while collections
/// load; <c>/readyz</c> turns green when loading ends. A failed load stops the host with a non-zero exit code.
/// </summary>
internal sealed partial class EngineStartupService(
    RetrievalEngine engine,
    IHostApplicationLifetime lifetime,
    ILogger<EngineStartupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await engine.StartAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down before the load finished: nothing to report.
        }
        catch (Exception e)
        {
            LogStartFailed(logger, e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(2001, LogLevel.Critical, "The engine failed to start; stopping the server")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);
}

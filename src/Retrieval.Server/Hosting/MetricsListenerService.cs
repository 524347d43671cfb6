using Prometheus;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Connects prometheus-net's adapter to the .NET meters at start-up. The adapter subscribes to instruments during a
/// collection, so without this the counters (mixed-search hits, backfilled items) would drop every measurement taken
/// before the first scrape of <c>/metrics</c>.
/// </summary>
internal sealed class MetricsListenerService : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

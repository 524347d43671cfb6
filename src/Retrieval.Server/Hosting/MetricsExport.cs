using Prometheus;

namespace Retrieval.Server.Hosting;

/// <summary>
/// What prometheus-net exports besides its own HTTP request metrics (<c>UseHttpMetrics</c>): every .NET meter except
/// the two that record on every request, and the runtime's event counters only.
/// </summary>
/// <remarks>
/// By default prometheus-net listens to all meters and enables every event source under <c>Microsoft-AspNetCore</c>,
/// <c>Microsoft.AspNetCore</c> and <c>System.Net</c> at Informational level (.NET cannot enable an event source for its
/// counters alone). That makes each gRPC call record ASP.NET Core's hosting and routing instruments through the meter
/// adapter and dispatch Kestrel's and hosting's request start/stop events to a listener: about a tenth of the server's
/// CPU per search in a profile of <c>ann-serve</c> (docs/benchmarks.md), duplicating <c>http_request_duration_seconds</c>
/// and <c>http_requests_received_total</c>. Prometheus-net reads these settings when the registry is first collected
/// (<see cref="MetricsListenerService"/>, at start-up), so they are set before the host starts; they are process-wide.
/// </remarks>
internal static class MetricsExport
{
    /// <summary>Meters whose instruments record on every request; the HTTP middleware's metrics already cover them.</summary>
    public static readonly IReadOnlySet<string> PerRequestMeters = new HashSet<string>(StringComparer.Ordinal)
    {
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Routing",
    };

    /// <summary>The event source whose counters are exported (GC, thread pool, JIT, exceptions).</summary>
    public const string RuntimeEventSource = "System.Runtime";

    public static void Configure()
    {
        Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = instrument => !PerRequestMeters.Contains(instrument.Meter.Name));
        Metrics.ConfigureEventCounterAdapter(options => options.EventSourceFilterPredicate = name => name == RuntimeEventSource);
    }
}

using Prometheus;

namespace Retrieval.Server.Hosting;

/// <summary>
/// What prometheus-net exports besides its own HTTP request metrics (<c>UseHttpMetrics</c>): the server's own meters
/// (<c>Retrieval</c> and any <c>Retrieval.*</c>) and the runtime's (<c>System.Runtime</c>), and of the event sources the
/// runtime's counters only. Everything else is left out, as docs/operations.md promises.
/// </summary>
/// <remarks>
/// By default prometheus-net listens to every meter in the process and enables every event source under
/// <c>Microsoft-AspNetCore</c>, <c>Microsoft.AspNetCore</c> and <c>System.Net</c> at Informational level. That exported
/// framework internals nobody asked for (dozens of <c>private_internaldiagnostics_system_net_quic_msquic_*</c> series
/// once Kestrel loads MsQuic), and made each gRPC call record ASP.NET Core's hosting and routing instruments and
/// dispatch Kestrel's request events: about a tenth of the server's CPU per search in a profile of <c>ann-serve</c>
/// (docs/benchmarks.md), duplicating <c>http_request_duration_seconds</c> and <c>http_requests_received_total</c>. An
/// allow-list rather than a deny-list, so a meter a new framework version adds is not exported by surprise.
/// Prometheus-net reads these settings when the registry is first collected (<see cref="MetricsListenerService"/>, at
/// start-up), so they are set before the host starts; they are process-wide.
/// </remarks>
internal static class MetricsExport
{
    /// <summary>The server's meter; meters named <c>Retrieval.*</c> are exported too.</summary>
    public const string ServerMeter = "Retrieval";

    /// <summary>The runtime's meter (GC, thread pool, JIT, exceptions), read at scrape time.</summary>
    public const string RuntimeMeter = "System.Runtime";

    /// <summary>The event source whose counters are exported (GC, thread pool, JIT, exceptions).</summary>
    public const string RuntimeEventSource = "System.Runtime";

    /// <summary>Whether a meter's instruments reach <c>/metrics</c>.</summary>
    public static bool IsExported(string meterName) =>
        meterName == ServerMeter || meterName == RuntimeMeter || meterName.StartsWith(ServerMeter + ".", StringComparison.Ordinal);

    public static void Configure()
    {
        Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = instrument => IsExported(instrument.Meter.Name));
        Metrics.ConfigureEventCounterAdapter(options => options.EventSourceFilterPredicate = name => name == RuntimeEventSource);
    }
}

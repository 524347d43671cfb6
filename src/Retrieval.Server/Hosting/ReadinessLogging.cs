using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serilog.Events;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Not being ready yet (collections loading, API keys being read) is expected while the server starts, and every
/// <c>/readyz</c> poll meets it: it is logged at information by <see cref="WriteReadyResponseAsync"/>, and the health
/// check service's own error-level "Health check … with status Unhealthy" line for it is dropped. A check that throws
/// is a fault and stays an error (the service logs it as HealthCheckError, with its exception).
/// </summary>
internal static partial class ReadinessLogging
{
    private const string HealthChecksCategory = "Microsoft.Extensions.Diagnostics.HealthChecks";

    /// <summary>
    /// Serilog filter: true for the health check service's end-of-check event reporting Unhealthy without an exception
    /// (a check that answered "not ready"), which <see cref="WriteReadyResponseAsync"/> logs at information instead.
    /// </summary>
    public static bool IsNotReadyCheckEnd(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        return logEvent.Level == LogEventLevel.Error
            && logEvent.Exception is null
            && logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string category }
            && category.StartsWith(HealthChecksCategory, StringComparison.Ordinal)
            && logEvent.Properties.TryGetValue("EventId", out var eventId) && eventId is StructureValue id
            && id.Properties.Any(p => p.Name == "Name" && p.Value is ScalarValue { Value: "HealthCheckEnd" })
            && logEvent.Properties.TryGetValue("HealthStatus", out var status) && status is ScalarValue { Value: { } value }
            && value.ToString() == nameof(HealthStatus.Unhealthy);
    }

    /// <summary>
    /// The <c>/readyz</c> response: the overall status as plain text (as ASP.NET Core's default writer answers), and, when
    /// not healthy, one more line per check that is not (<c>store: the postgres store of record is unreachable …</c>) and
    /// one information log line naming them.
    /// </summary>
    public static Task WriteReadyResponseAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        var body = report.Status.ToString();
        if (report.Status != HealthStatus.Healthy)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ReadinessLogging).FullName!);
            var waiting = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}").ToList();
            NotReady(logger, report.Status, string.Join("; ", waiting));
            body = string.Join('\n', waiting.Prepend(body));
        }

        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    [LoggerMessage(2200, LogLevel.Information, "Not ready yet ({Status}): {Checks}")]
    private static partial void NotReady(ILogger logger, HealthStatus status, string checks);
}

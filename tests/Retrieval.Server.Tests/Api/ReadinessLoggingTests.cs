using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Retrieval.Server.Hosting;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// While the server starts, /readyz answers Unhealthy on every poll: that is logged at information, not error; a check
/// that throws is still an error with its exception.
/// </summary>
public sealed class ReadinessLoggingTests
{
    [Fact]
    public async Task NotReadyCheck_IsNotAnError_ButAThrowingCheckStillIs()
    {
        var events = new List<LogEvent>();
        using var provider = Services(events, health => health
            .AddCheck("ready", () => HealthCheckResult.Unhealthy("loading collections"))
            .AddCheck("faulty", () => throw new InvalidOperationException("store unreachable")));

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var errors = events.Where(e => e.Level >= LogEventLevel.Error).ToList();
        Assert.DoesNotContain(errors, e => e.RenderMessage(null).Contains("ready", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Exception is InvalidOperationException && e.RenderMessage(null).Contains("faulty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadyResponse_WhenNotReady_AnswersUnhealthyAndLogsTheWaitingChecksAtInformation()
    {
        var events = new List<LogEvent>();
        using var provider = Services(events, health => health.AddCheck("ready", () => HealthCheckResult.Unhealthy("loading collections")));
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var context = new DefaultHttpContext { RequestServices = provider };
        context.Response.Body = new MemoryStream();

        await ReadinessLogging.WriteReadyResponseAsync(context, report);

        context.Response.Body.Position = 0;
        Assert.Equal("Unhealthy\nready: loading collections", await new StreamReader(context.Response.Body).ReadToEndAsync());
        var line = Assert.Single(events, e => e.RenderMessage(null).StartsWith("Not ready yet", StringComparison.Ordinal));
        Assert.Equal(LogEventLevel.Information, line.Level);
        Assert.Contains("ready: loading collections", line.RenderMessage(null), StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Level >= LogEventLevel.Error);
    }

    /// <summary>Health checks logging through Serilog with the server's filter, into <paramref name="events"/>.</summary>
    private static ServiceProvider Services(List<LogEvent> events, Action<IHealthChecksBuilder> checks)
    {
        var serilog = new LoggerConfiguration().MinimumLevel.Verbose()
            .Filter.ByExcluding(ReadinessLogging.IsNotReadyCheckEnd)
            .WriteTo.Sink(new ListSink(events))
            .CreateLogger();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSerilog(serilog, dispose: true));
        checks(services.AddHealthChecks());
        return services.BuildServiceProvider();
    }

    private sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (events)
            {
                events.Add(logEvent);
            }
        }
    }
}

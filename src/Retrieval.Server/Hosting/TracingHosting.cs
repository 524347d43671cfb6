using Npgsql;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Retrieval.Cluster;
using Retrieval.Engine;

namespace Retrieval.Server.Hosting;

/// <summary>
/// OpenTelemetry traces of the server: incoming HTTP/gRPC requests (ASP.NET Core), the engine's search and write steps,
/// PostgreSQL commands (Npgsql) and, on a cluster node, Orleans. Off unless asked for (<see cref="TracingOptions"/>):
/// then no tracer provider exists and every span site returns at its first branch.
/// </summary>
internal static class TracingHosting
{
    private const string DefaultServiceName = "retrieval";

    /// <summary>Paths polled by probes and scrapers: a span per poll would bury the requests worth seeing.</summary>
    private static readonly string[] UntracedPaths = ["/healthz", "/readyz", "/metrics"];

    public static WebApplicationBuilder AddRetrievalTracing(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = configuration.GetSection(TracingOptions.SectionName).Get<TracingOptions>() ?? new();
        if (options.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        if (!IsOn(options, configuration))
        {
            return builder;
        }

        var clusterNode = configuration.GetSection(ClusterModeOptions.SectionName).Get<ClusterModeOptions>() is { Enabled: true };
        builder.Services.AddOpenTelemetry()
            // OTEL_SERVICE_NAME (and OTEL_RESOURCE_ATTRIBUTES) still win: the SDK's environment detector reads them.
            .ConfigureResource(resource => resource.AddService(
                configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : DefaultServiceName,
                serviceVersion: typeof(TracingHosting).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing.AddSource(EngineTracing.SourceName)
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsUntraced(context.Request.Path))
                    .AddNpgsql();
                if (clusterNode)
                {
                    tracing.AddSource(ClusterTracing.OrleansActivitySources);
                }

                if (options.Exporter == "otlp")
                {
                    // Endpoint, protocol, headers and timeout from the standard OTEL_EXPORTER_OTLP_* settings.
                    tracing.AddOtlpExporter();
                }
            });
        return builder;
    }

    private static bool IsOn(TracingOptions options, ConfigurationManager configuration)
    {
        if (options.Enabled is { } enabled)
        {
            return enabled;
        }

        if (bool.TryParse(configuration["OTEL_SDK_DISABLED"], out var disabled) && disabled)
        {
            return false;
        }

        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
    }

    private static bool IsUntraced(PathString path) =>
        UntracedPaths.Any(untraced => path.Equals(untraced, StringComparison.OrdinalIgnoreCase));
}

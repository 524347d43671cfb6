namespace Retrieval.Server.Hosting;

/// <summary>
/// OpenTelemetry traces, bound from <c>Retrieval:Tracing</c> (environment: <c>Retrieval__Tracing__*</c>). Where spans go
/// is configured by OpenTelemetry's own variables (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_SERVICE_NAME</c>,
/// <c>OTEL_TRACES_SAMPLER</c>, …); docs/operations.md, "Traces".
/// </summary>
public sealed class TracingOptions
{
    public const string SectionName = "Retrieval:Tracing";

    /// <summary>
    /// True: record and export traces. False: never, whatever the environment says. Unset (default): on exactly when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> is set (and
    /// <c>OTEL_SDK_DISABLED</c> is not true), so a server without a collector pays nothing.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// <c>otlp</c> (default): spans are sent to the OTLP endpoint. <c>none</c>: spans are recorded for in-process
    /// exporters only (a host that adds its own, tests).
    /// </summary>
    public string Exporter { get; set; } = "otlp";

    /// <summary>Why these settings are wrong (naming the setting), or null.</summary>
    public string? Problem() =>
        Exporter is "otlp" or "none" ? null : $"{SectionName}:Exporter must be 'otlp' or 'none', got '{Exporter}'";
}

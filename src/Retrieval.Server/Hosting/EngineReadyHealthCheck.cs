using Microsoft.Extensions.Diagnostics.HealthChecks;
using Retrieval.Engine;

namespace Retrieval.Server.Hosting;

/// <summary>Healthy once every collection is loaded and searchable.</summary>
internal sealed class EngineReadyHealthCheck(RetrievalEngine engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.IsReady
            ? HealthCheckResult.Healthy("collections loaded")
            : HealthCheckResult.Unhealthy("loading collections"));
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Retrieval.Server.Security;

/// <summary>Ready once the API keys are read from the store (always, with authentication off): before that stored keys are refused.</summary>
internal sealed class ApiKeysLoadedHealthCheck(IOptions<AuthOptions> options, ApiKeyCache cache) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!options.Value.Enabled || cache.IsLoaded
            ? HealthCheckResult.Healthy("API keys loaded")
            : HealthCheckResult.Unhealthy("reading API keys"));
}

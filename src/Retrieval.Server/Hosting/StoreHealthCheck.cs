using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Hosting;

/// <summary>
/// Whether the store of record answers: a <c>SELECT 1</c> bounded by <see cref="Timeout"/>, its result shared by every
/// probe for <see cref="CacheFor"/> (so that many probes cost the store one statement). An unreachable store makes the
/// server <see cref="HealthStatus.Degraded"/>, not Unhealthy: searches and reads still answer from memory, so /readyz
/// stays 200 (an orchestrator keeps routing searches to it) and names the store as down; writes answer UNAVAILABLE.
/// Registered as a singleton: the cache and the last state live across probes.
/// </summary>
internal sealed partial class StoreHealthCheck(IRetrievalStore store, TimeProvider time, ILogger<StoreHealthCheck> logger) : IHealthCheck
{
    /// <summary>How long the ping may take before the store counts as down.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>How long one ping's result answers later probes.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _lastStarted;
    private int _wasDown;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_last is null || time.GetElapsedTime(_lastStarted) >= CacheFor)
            {
                _lastStarted = time.GetTimestamp();
                _last = PingAsync();
            }

            return _last.WaitAsync(cancellationToken);
        }
    }

    private async Task<HealthCheckResult> PingAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        try
        {
            await store.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is DbException or OperationCanceledException or TimeoutException)
        {
            var reason = e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0.#} s" : e.Message;
            if (Interlocked.Exchange(ref _wasDown, 1) == 0)
            {
                LogStoreDown(logger, store.Kind, reason);
            }

            return new HealthCheckResult(
                HealthStatus.Degraded, $"the {store.Kind} store of record is unreachable ({reason}); searches answer from memory, writes are refused");
        }

        if (Interlocked.Exchange(ref _wasDown, 0) == 1)
        {
            LogStoreBack(logger, store.Kind);
        }

        return HealthCheckResult.Healthy("store reachable");
    }

    [LoggerMessage(2210, LogLevel.Warning, "The {Store} store of record is unreachable: {Reason}; searches answer from memory, writes answer UNAVAILABLE")]
    private static partial void LogStoreDown(ILogger logger, string store, string reason);

    [LoggerMessage(2211, LogLevel.Information, "The {Store} store of record answers again")]
    private static partial void LogStoreBack(ILogger logger, string store);
}

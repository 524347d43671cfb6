using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Retrieval.Server.Security;

/// <summary>
/// The per-key limits that depend on what a call carries, so they are applied once the request is read: vectors per
/// second (token bucket holding one second's worth) and concurrent streaming calls. Requests per second are limited
/// earlier, by ASP.NET Core's rate-limiting middleware (<see cref="SecurityExtensions"/>).
/// </summary>
internal sealed class KeyRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _vectors;
    private readonly PartitionedRateLimiter<string>? _streams;

    public KeyRateLimits(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        VectorsPerSecond = auth.VectorsPerSecond;
        if (auth.VectorsPerSecond > 0)
        {
            _vectors = PartitionedRateLimiter.Create<string, string>(key =>
                RateLimitPartition.GetTokenBucketLimiter(key, _ => PerSecond(auth.VectorsPerSecond)));
        }

        if (auth.MaxConcurrentStreams > 0)
        {
            _streams = PartitionedRateLimiter.Create<string, string>(key =>
                RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = auth.MaxConcurrentStreams, QueueLimit = 0 }));
        }
    }

    public int VectorsPerSecond { get; }

    /// <summary>A token bucket for <paramref name="rate"/> permits a second: a second's burst, refilled in tenths.</summary>
    public static TokenBucketRateLimiterOptions PerSecond(int rate) => new()
    {
        TokenLimit = rate,
        TokensPerPeriod = Math.Max(1, rate / 10),
        ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, rate / 10) / (double)rate),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>Takes <paramref name="count"/> (at most <see cref="VectorsPerSecond"/>) vectors from the key's budget; null when there is no limit.</summary>
    public RateLimitLease? AcquireVectors(string keyId, int count) =>
        _vectors is null || count == 0 ? null : _vectors.AttemptAcquire(keyId, count);

    /// <summary>Takes one of the key's streaming slots (dispose the lease when the stream ends); null when there is no limit.</summary>
    public RateLimitLease? AcquireStream(string keyId) => _streams?.AttemptAcquire(keyId);

    public void Dispose()
    {
        _vectors?.Dispose();
        _streams?.Dispose();
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Storage;
using Retrieval.Server.Hosting;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// The cluster's backfill gate over the real lease table: one node of two runs a migration; the holder renews without
/// asking the store while its lease is fresh; the other takes over only after expiry, and is told it took over; a
/// node that backs off lets the other run at once.
/// </summary>
public sealed class BackfillLeaseGateTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [SkippableFact]
    public async Task TwoNodes_OneRuns_TheOtherTakesOverOnlyAfterExpiry_AndIsToldSo()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        var counting = new CountingLeaseStore(store);
        var options = new BackfillWorkerOptions { LeaseSeconds = 1, IdleDelayMilliseconds = 50 };
        var timeA = new ManualTime();
        var a = new BackfillLeaseGate(counting, "node-a", options, timeA, NullLogger<BackfillLeaseGate>.Instance);
        var b = new BackfillLeaseGate(store, "node-b", options, TimeProvider.System, NullLogger<BackfillLeaseGate>.Instance);

        Assert.Equal(new BackfillTurn(true, true), await a.MayRunAsync("c", "m", Ct));
        Assert.Equal(BackfillTurn.No, await b.MayRunAsync("c", "m", Ct));

        // Within a third of the lease the holder runs on without a round trip; after it, it renews (same epoch: no take-over).
        var calls = counting.Calls;
        timeA.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(new BackfillTurn(true, false), await a.MayRunAsync("c", "m", Ct));
        Assert.Equal(calls, counting.Calls);
        timeA.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(new BackfillTurn(true, false), await a.MayRunAsync("c", "m", Ct));
        Assert.Equal(calls + 1, counting.Calls);

        // Node a goes silent: once its lease lapsed (the store's clock), node b takes over and is told so.
        await Task.Delay(TimeSpan.FromMilliseconds(1300));
        Assert.Equal(new BackfillTurn(true, true), await b.MayRunAsync("c", "m", Ct));
        Assert.Equal((b.Holder, 2L), await store.GetBackfillLeaseAsync("c", "m", Ct) is { } lease ? (lease.Holder, lease.Epoch) : default);
        timeA.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(BackfillTurn.No, await a.MayRunAsync("c", "m", Ct));

        // Node b backs off after a failed step: the lease is free at once and node a, asking again, takes it over.
        await b.BackOffAsync("c", "m", Ct);
        Assert.Null(await store.GetBackfillLeaseAsync("c", "m", Ct));
        Assert.Equal(BackfillTurn.No, await b.MayRunAsync("c", "m", Ct));
        timeA.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new BackfillTurn(true, true), await a.MayRunAsync("c", "m", Ct));

        // Released when the migration leaves the work list, and on shutdown.
        await a.ReleaseOthersAsync(new HashSet<(string, string)>(), Ct);
        Assert.Null(await store.GetBackfillLeaseAsync("c", "m", Ct));
        Assert.Equal(new BackfillTurn(true, true), await a.MayRunAsync("c", "m2", Ct));
        await a.ReleaseAllAsync(Ct);
        Assert.Null(await store.GetBackfillLeaseAsync("c", "m2", Ct));
    }

    /// <summary>A clock the test moves by hand (only the monotonic timestamp is read by the gate).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Counts the take-or-renew calls that reach the store.</summary>
    private sealed class CountingLeaseStore(IBackfillLeaseStore inner) : IBackfillLeaseStore
    {
        public int Calls { get; private set; }

        public Task<BackfillLease?> TryTakeBackfillLeaseAsync(string collection, string migrationId, string holder, TimeSpan duration, CancellationToken cancellationToken)
        {
            Calls++;
            return inner.TryTakeBackfillLeaseAsync(collection, migrationId, holder, duration, cancellationToken);
        }

        public Task ReleaseBackfillLeaseAsync(string collection, string migrationId, string holder, CancellationToken cancellationToken) =>
            inner.ReleaseBackfillLeaseAsync(collection, migrationId, holder, cancellationToken);

        public Task<BackfillLease?> GetBackfillLeaseAsync(string collection, string migrationId, CancellationToken cancellationToken) =>
            inner.GetBackfillLeaseAsync(collection, migrationId, cancellationToken);

        public Task<IReadOnlyList<BackfillLeaseState>> ListBackfillLeasesAsync(CancellationToken cancellationToken) =>
            inner.ListBackfillLeasesAsync(cancellationToken);
    }
}

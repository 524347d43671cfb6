using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// The backfill lease (cluster mode's one-runner-per-migration rule): taken and renewed by compare-and-set on the
/// database's clock, refused to a second holder while valid, taken over (epoch + 1) once expired, released by its holder only.
/// </summary>
public sealed class PostgresBackfillLeaseTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [PostgresFact]
    public async Task TryTake_WhileAnotherHolderIsValid_IsRefused_RenewalKeepsTheEpoch_ExpiryHandsItOver()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);

        var taken = await store.TryTakeBackfillLeaseAsync("c", "m", "node-a/1", TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(taken);
        Assert.Equal(("node-a/1", 1L), (taken.Holder, taken.Epoch));
        Assert.Null(await store.TryTakeBackfillLeaseAsync("c", "m", "node-b/2", TimeSpan.FromSeconds(30), Ct));

        var renewed = await store.TryTakeBackfillLeaseAsync("c", "m", "node-a/1", TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(renewed);
        Assert.Equal((1L, taken.TakenAt), (renewed.Epoch, renewed.TakenAt));
        Assert.True(renewed.ExpiresAt >= taken.ExpiresAt);

        // Another migration's lease is independent.
        Assert.Equal(1L, (await store.TryTakeBackfillLeaseAsync("c", "other", "node-b/2", TimeSpan.FromSeconds(30), Ct))?.Epoch);

        // A short renewal lets the lease lapse: the next holder takes it over with the next epoch.
        Assert.NotNull(await store.TryTakeBackfillLeaseAsync("c", "m", "node-a/1", TimeSpan.FromMilliseconds(200), Ct));
        await Task.Delay(400);
        var handedOver = await store.TryTakeBackfillLeaseAsync("c", "m", "node-b/2", TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(handedOver);
        Assert.Equal(("node-b/2", 2L), (handedOver.Holder, handedOver.Epoch));
        Assert.Null(await store.TryTakeBackfillLeaseAsync("c", "m", "node-a/1", TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(handedOver, await store.GetBackfillLeaseAsync("c", "m", Ct));
    }

    [PostgresFact]
    public async Task Release_ByAnotherHolder_DoesNothing_ByTheHolder_FreesItAtOnce()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        Assert.NotNull(await store.TryTakeBackfillLeaseAsync("c", "m", "node-a/1", TimeSpan.FromMinutes(5), Ct));

        await store.ReleaseBackfillLeaseAsync("c", "m", "node-b/2", Ct);
        Assert.Equal("node-a/1", (await store.GetBackfillLeaseAsync("c", "m", Ct))?.Holder);

        await store.ReleaseBackfillLeaseAsync("c", "m", "node-a/1", Ct);
        Assert.Null(await store.GetBackfillLeaseAsync("c", "m", Ct));
        Assert.Equal(("node-b/2", 1L), await store.TryTakeBackfillLeaseAsync("c", "m", "node-b/2", TimeSpan.FromMinutes(5), Ct) is { } lease ? (lease.Holder, lease.Epoch) : default);
    }

    [PostgresFact]
    public async Task List_GivesEveryLeaseByCollectionAndMigration_MarkingTheLapsedOnes()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        Assert.Empty(await store.ListBackfillLeasesAsync(Ct));
        var held = await store.TryTakeBackfillLeaseAsync("b", "m", "node-a/1", TimeSpan.FromMinutes(5), Ct);
        Assert.NotNull(await store.TryTakeBackfillLeaseAsync("a", "m", "node-b/2", TimeSpan.FromMilliseconds(1), Ct));
        await Task.Delay(20);

        var listed = await store.ListBackfillLeasesAsync(Ct);

        Assert.Equal([("a", "m", "node-b/2", true), ("b", "m", "node-a/1", false)], listed.Select(l => (l.Lease.Collection, l.Lease.MigrationId, l.Lease.Holder, l.Expired)));
        Assert.Equal(held, listed[1].Lease);
    }

    [PostgresFact]
    public async Task TryTake_ManyHoldersRacingForAnExpiredLease_ExactlyOneWins()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        for (var round = 0; round < 5; round++)
        {
            // Every round starts from a lapsed lease; eight holders race for it at once.
            Assert.NotNull(await store.TryTakeBackfillLeaseAsync("c", "m", "expired", TimeSpan.FromMilliseconds(1), Ct));
            await Task.Delay(20);
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.TryTakeBackfillLeaseAsync("c", "m", $"node-{round}-{i}", TimeSpan.FromMinutes(1), Ct)));
            var winner = Assert.Single(results, r => r is not null);
            Assert.Equal(winner!.Holder, (await store.GetBackfillLeaseAsync("c", "m", Ct))?.Holder);
            await store.ReleaseBackfillLeaseAsync("c", "m", winner.Holder, Ct);
        }
    }
}

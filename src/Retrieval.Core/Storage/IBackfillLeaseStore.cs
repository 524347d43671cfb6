namespace Retrieval.Core.Storage;

/// <summary>
/// The right of one cluster node to run a migration's server-side backfill until <see cref="ExpiresAt"/>.
/// </summary>
/// <param name="Collection">The migrated collection.</param>
/// <param name="MigrationId">The migration whose backfill steps the holder runs.</param>
/// <param name="Holder">The node incarnation that holds it (its name and a per-process id).</param>
/// <param name="Epoch">Counts the hand-overs: 1 when first taken, one more each time another holder takes it.</param>
/// <param name="TakenAt">When the current holder took it (the store's clock).</param>
/// <param name="ExpiresAt">When it lapses unless renewed (the store's clock).</param>
public sealed record BackfillLease(string Collection, string MigrationId, string Holder, long Epoch, DateTimeOffset TakenAt, DateTimeOffset ExpiresAt);

/// <summary>A stored lease and whether it lapsed (its expiry passed by the store's clock when read).</summary>
public sealed record BackfillLeaseState(BackfillLease Lease, bool Expired);

/// <summary>
/// The store-of-record role that keeps backfill leases: in cluster mode, the one place that decides which node runs a
/// migration's backfill steps. Every change is a compare-and-set in one statement on the store's own clock, so node
/// clocks do not matter and two nodes can never both take one lease. Only the shared (PostgreSQL) store plays it.
/// </summary>
public interface IBackfillLeaseStore
{
    /// <summary>
    /// Takes or renews the lease of (<paramref name="collection"/>, <paramref name="migrationId"/>) for
    /// <paramref name="holder"/> until the store's now + <paramref name="duration"/>: succeeds when nobody holds it, when
    /// <paramref name="holder"/> holds it already (a renewal keeps the epoch), or when the other holder's lease has
    /// expired (the epoch grows by one). Returns the lease as now held, or null when another holder's lease is still valid.
    /// </summary>
    Task<BackfillLease?> TryTakeBackfillLeaseAsync(string collection, string migrationId, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up when <paramref name="holder"/> holds it (so another node need not wait for it to expire); otherwise does nothing.</summary>
    Task ReleaseBackfillLeaseAsync(string collection, string migrationId, string holder, CancellationToken cancellationToken);

    /// <summary>Every stored lease (cluster status), by collection and migration, each saying whether it lapsed by the store's clock.</summary>
    Task<IReadOnlyList<BackfillLeaseState>> ListBackfillLeasesAsync(CancellationToken cancellationToken);

    /// <summary>The lease of a migration as stored (possibly expired), or null when none was ever taken or it was released.</summary>
    Task<BackfillLease?> GetBackfillLeaseAsync(string collection, string migrationId, CancellationToken cancellationToken);
}

using Microsoft.Extensions.Logging;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// A node that takes over a migration's server-side backfill from another node (cluster mode) holds the migration's
/// marks as it last committed or loaded them, which the other runner has since moved on: its first step would name a
/// stale cursor and the store's compare-and-set would refuse every step. Before its first step the new runner adopts
/// the stored cursor, checkpoint and counters, so it resumes where the store says the walk stands.
/// </summary>
internal sealed partial class BackfillHandover(CollectionCatalog catalog, IMigrationStore store, ILogger logger)
{
    /// <summary>
    /// Adopts the stored marks of <paramref name="migrationId"/> when it is the collection's open migration and the stored
    /// phase equals this node's. Returns false (adopting nothing) otherwise: the phase changed elsewhere, and this node's
    /// steps stay refused by the store until it learns the new phase.
    /// </summary>
    public async Task<bool> AdoptStoredProgressAsync(string collection, string migrationId, CancellationToken cancellationToken)
    {
        var state = catalog.Get(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.Migration is not { } open || open.Row.Id != migrationId)
            {
                return false;
            }

            var stored = await store.GetMigrationAsync(collection, migrationId, cancellationToken);
            if (stored is null || stored.Phase != open.Row.Phase)
            {
                LogPhaseDiffers(logger, collection, migrationId, stored is null ? "none" : MigrationPhaseNames.Of(stored.Phase), MigrationPhaseNames.Of(open.Row.Phase));
                return false;
            }

            // Under the write gate no batch of this node is between its commit and its apply, so the stored marks
            // include every one of this node's own: adopting them loses nothing of ours.
            state.Write(_ => open.Row = open.Row with
            {
                WorkerCursor = stored.WorkerCursor,
                ClientCheckpoint = stored.ClientCheckpoint,
                Backfilled = stored.Backfilled,
                MappedOnWrite = stored.MappedOnWrite,
                DerivedOnWrite = stored.DerivedOnWrite,
            });
            LogAdopted(logger, collection, migrationId, stored.WorkerCursor ?? "(start)", stored.Backfilled);
            return true;
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    [LoggerMessage(1130, LogLevel.Information, "Collection {Collection}: migration {MigrationId}'s backfill resumes here from the stored cursor {Cursor} ({Backfilled} backfilled so far)")]
    private static partial void LogAdopted(ILogger logger, string collection, string migrationId, string cursor, long backfilled);

    [LoggerMessage(1131, LogLevel.Warning, "Collection {Collection}: migration {MigrationId} is {StoredPhase} in the store but {LocalPhase} here; its backfill stays refused until this node reloads it")]
    private static partial void LogPhaseDiffers(ILogger logger, string collection, string migrationId, string storedPhase, string localPhase);
}

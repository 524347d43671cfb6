using Microsoft.Data.Sqlite;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// The write path: one transaction per batch. Deletes of ids that do not exist write no tombstone: there is
/// nothing for a change-feed reader to remove, and unknown-id deletes must not grow the tombstone table.
/// </summary>
public sealed partial class SqliteRetrievalStore
{
    public Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(batch);
        batch.Shards?.EnsureMatches(batch);
        return WriteTransactionAsync((connection, transaction, ct) => WriteBatchAsync(connection, transaction, collection, batch, ct), cancellationToken);
    }

    /// <summary>
    /// Several batches in one transaction (one fsync), each after its own sequence increment, so its rows carry its own
    /// sequence; the writer lock is held throughout, so the group's sequences are consecutive.
    /// </summary>
    public Task<IReadOnlyList<long>> WriteGroupAsync(string collection, IReadOnlyList<WriteBatch> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            throw new ArgumentException("a write group needs at least one batch", nameof(batches));
        }

        foreach (var batch in batches)
        {
            ArgumentNullException.ThrowIfNull(batch);
            batch.Shards?.EnsureMatches(batch);
        }

        return WriteTransactionAsync<IReadOnlyList<long>>(
            async (connection, transaction, ct) =>
            {
                var sequences = new long[batches.Count];
                for (var i = 0; i < batches.Count; i++)
                {
                    sequences[i] = await WriteBatchAsync(connection, transaction, collection, batches[i], ct);
                }

                return sequences;
            },
            cancellationToken);
    }

    private static async Task<long> WriteBatchAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, WriteBatch batch, CancellationToken cancellationToken)
    {
        var sequence = await NextSequenceAsync(connection, transaction, collection, batch.Guard, cancellationToken);
        await UpsertAsync(connection, transaction, collection, sequence, batch, cancellationToken);
        await WriteRawInputsAsync(connection, transaction, collection, batch.Upserts, cancellationToken);
        await DeleteAsync(connection, transaction, collection, sequence, batch, cancellationToken);
        await DeleteRawInputsAsync(connection, transaction, collection, batch.Deletes, cancellationToken);
        if (batch.Migration is { } marks)
        {
            // A refused statistics compare-and-set throws here: the transaction, with every batch of the group, rolls back.
            await ApplyMigrationMarksAsync(connection, transaction, collection, marks, cancellationToken);
        }

        return sequence;
    }

    // A guarded batch takes its sequence only while the definition version and the open migration (phases 8 and 9,
    // retired and rolled back, are closed, as the schema's one-open index says) are the ones it was validated against.
    private static async Task<long> NextSequenceAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, WriteGuard? guard, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, guard is null
            ? "UPDATE collections SET last_sequence = last_sequence + 1 WHERE name = $name RETURNING last_sequence;"
            : """
              UPDATE collections SET last_sequence = last_sequence + 1
              WHERE name = $name AND COALESCE(json_extract(definition, '$.version'), 0) = $version
                AND (SELECT group_concat(open, ',') FROM (
                    SELECT id || ':' || phase AS open FROM migrations WHERE collection = $name AND phase NOT IN (8, 9) ORDER BY id)) IS $open
              RETURNING last_sequence;
              """);
        command.Parameters.AddWithValue("$name", collection);
        if (guard is not null)
        {
            command.Parameters.AddWithValue("$version", guard.DefinitionVersion);
            command.Parameters.AddWithValue("$open", (object?)guard.OpenMigration ?? DBNull.Value);
        }

        if (await command.ExecuteScalarAsync(cancellationToken) is long sequence)
        {
            return sequence;
        }

        if (guard is not null)
        {
            await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
            throw WriteGuard.Stale(collection);
        }

        throw CollectionNotFound(collection);
    }

    private static async Task UpsertAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string collection,
        long sequence,
        WriteBatch batch,
        CancellationToken cancellationToken)
    {
        var upserts = batch.Upserts;
        if (upserts.Count == 0)
        {
            return;
        }

        // One prepared statement each, re-bound per row: SQLite's fastest bulk path inside a transaction.
        // A null $payload keeps the stored payload; a new item without one gets '{}'.
        await using var item = Command(connection, transaction, """
            INSERT INTO items (collection, id, payload, seq, shard) VALUES ($collection, $id, COALESCE($payload, '{}'), $seq, $shard)
            ON CONFLICT (collection, id) DO UPDATE SET payload = COALESCE($payload, payload), seq = excluded.seq, shard = excluded.shard;
            """);
        var itemId = item.Parameters.Add("$id", SqliteType.Text);
        var payload = item.Parameters.Add("$payload", SqliteType.Text);
        var itemShard = item.Parameters.Add("$shard", SqliteType.Integer);
        item.Parameters.AddWithValue("$collection", collection);
        item.Parameters.AddWithValue("$seq", sequence);

        await using var vector = Command(connection, transaction, """
            INSERT INTO vectors (collection, item_id, space, data, seq) VALUES ($collection, $id, $space, $data, $seq)
            ON CONFLICT (collection, item_id, space) DO UPDATE SET data = excluded.data, seq = excluded.seq;
            """);
        var vectorItemId = vector.Parameters.Add("$id", SqliteType.Text);
        var space = vector.Parameters.Add("$space", SqliteType.Text);
        var data = vector.Parameters.Add("$data", SqliteType.Blob);
        vector.Parameters.AddWithValue("$collection", collection);
        vector.Parameters.AddWithValue("$seq", sequence);

        // An upsert revives a deleted id: its tombstone must not reach change-feed readers any more. Most
        // collections hold no tombstones at all; one probe per batch then saves a statement per item. The
        // transaction holds SQLite's write lock, and the batch's own deletes run after its upserts.
        bool anyTombstones;
        await using (var probe = Command(
            connection, transaction, "SELECT EXISTS (SELECT 1 FROM tombstones WHERE collection = $collection);"))
        {
            probe.Parameters.AddWithValue("$collection", collection);
            anyTombstones = await probe.ExecuteScalarAsync(cancellationToken) is 1L;
        }

        await using var revive = Command(
            connection, transaction, "DELETE FROM tombstones WHERE collection = $collection AND id = $id;");
        var reviveId = revive.Parameters.Add("$id", SqliteType.Text);
        revive.Parameters.AddWithValue("$collection", collection);

        for (var index = 0; index < upserts.Count; index++)
        {
            var write = upserts[index];
            itemId.Value = write.Id;
            payload.Value = (object?)write.PayloadJson ?? DBNull.Value;
            itemShard.Value = BatchShards.OfUpsert(batch, index);
            await item.ExecuteNonQueryAsync(cancellationToken);

            foreach (var (spaceName, values) in write.Vectors)
            {
                vectorItemId.Value = write.Id;
                space.Value = spaceName;
                data.Value = VectorBytes.Encode(values);
                await vector.ExecuteNonQueryAsync(cancellationToken);
            }

            if (anyTombstones)
            {
                reviveId.Value = write.Id;
                await revive.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private static async Task DeleteAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string collection,
        long sequence,
        WriteBatch batch,
        CancellationToken cancellationToken)
    {
        var deletes = batch.Deletes;
        if (deletes.Count == 0)
        {
            return;
        }

        await using var item = Command(
            connection, transaction, "DELETE FROM items WHERE collection = $collection AND id = $id;");
        var itemId = item.Parameters.Add("$id", SqliteType.Text);
        item.Parameters.AddWithValue("$collection", collection);

        await using var vectors = Command(
            connection, transaction, "DELETE FROM vectors WHERE collection = $collection AND item_id = $id;");
        var vectorsId = vectors.Parameters.Add("$id", SqliteType.Text);
        vectors.Parameters.AddWithValue("$collection", collection);

        await using var tombstone = Command(connection, transaction, """
            INSERT INTO tombstones (collection, id, seq, shard) VALUES ($collection, $id, $seq, $shard)
            ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, shard = excluded.shard;
            """);
        var tombstoneId = tombstone.Parameters.Add("$id", SqliteType.Text);
        var tombstoneShard = tombstone.Parameters.Add("$shard", SqliteType.Integer);
        tombstone.Parameters.AddWithValue("$collection", collection);
        tombstone.Parameters.AddWithValue("$seq", sequence);

        for (var index = 0; index < deletes.Count; index++)
        {
            var id = deletes[index];
            itemId.Value = id;
            if (await item.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                continue;
            }

            vectorsId.Value = id;
            await vectors.ExecuteNonQueryAsync(cancellationToken);
            tombstoneId.Value = id;
            tombstoneShard.Value = BatchShards.OfDelete(batch, index);
            await tombstone.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

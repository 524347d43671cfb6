using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The write path: one batch is one round trip. The statements go out as one <see cref="NpgsqlBatch"/> with a
/// single Sync, so PostgreSQL runs them in one implicit transaction: an error in any of them rolls all of them
/// back, and the reply comes only after the commit (and, with the default synchronous_commit, its WAL flush).
/// (A batch that carries migration marks runs them in an explicit transaction instead, one more round trip: see
/// <see cref="WriteAsync"/>.)
/// The first statement increments the collection's sequence, which also row-locks the catalog row and so
/// serializes writers of one collection; the statements after it start with fresh snapshots (READ COMMITTED),
/// so they see whatever an earlier writer of the collection committed. Upserts travel as binary array
/// parameters and are merged set-wise from <c>unnest</c>; nothing is staged in temp tables (their creation
/// costs catalog writes per batch). Deletes of ids that do not exist write no tombstone: there is nothing for
/// a change-feed reader to remove, and unknown-id deletes must not grow the tombstone table.
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    private const string NextSequenceSql =
        "UPDATE collections SET last_sequence = last_sequence + 1 WHERE name = @collection RETURNING last_sequence";

    /// <summary>
    /// The sequence increment of a guarded batch: only while the definition version and open migration are the ones the
    /// batch was validated against. A definition change and a migration phase change both update this row (the latter by
    /// trigger), so they and the write serialize on its lock, and a write queued behind one re-checks the new row.
    /// </summary>
    private const string GuardedNextSequenceSql = """
        UPDATE collections SET last_sequence = last_sequence + 1
        WHERE name = @collection AND definition_version = @definition_version AND open_migration IS NOT DISTINCT FROM @open_migration
        RETURNING last_sequence
        """;

    /// <summary>The item notice of a committed batch, sent inside its transaction (delivered on commit).</summary>
    private const string NotifyItemsSql =
        "SELECT pg_notify('" + PostgresChangeFeedSchema.ItemsChannel + "', last_sequence || ':' || name) FROM collections WHERE name = @collection";

    /// <summary>The batch's items with their vectors when every item carries exactly one: no grouping needed.</summary>
    private const string OneVectorPerItemRows = """
        SELECT id, payload, shard, ARRAY[space] AS spaces, ARRAY[data] AS vectors
        FROM unnest(@ids::text[], @payloads::text[], @shards::smallint[], @spaces::text[], @data::bytea[]) AS w(id, payload, shard, space, data)
        """;

    /// <summary>The batch's items with their vectors grouped per item (any number of vectors per item, zero included).</summary>
    private const string GroupedVectorRows = """
        SELECT w.id, w.payload, w.shard, COALESCE(v.spaces, '{}') AS spaces, COALESCE(v.vectors, '{}') AS vectors
        FROM unnest(@ids::text[], @payloads::text[], @shards::smallint[]) WITH ORDINALITY AS w(id, payload, shard, item)
        LEFT JOIN (
            SELECT item, array_agg(space) AS spaces, array_agg(data) AS vectors
            FROM unnest(@vector_items::bigint[], @spaces::text[], @data::bytea[]) AS v(item, space, data)
            GROUP BY item) AS v USING (item)
        """;

    private static readonly string OneVectorPerItemUpsertSql = UpsertSql(OneVectorPerItemRows);
    private static readonly string GroupedUpsertSql = UpsertSql(GroupedVectorRows);

    /// <summary>
    /// Every merge of an upsert set in one statement. Writers of a collection are serialized by the sequence
    /// statement's row lock, so no other transaction can insert or change these ids meanwhile: existing items are
    /// updated in place (their vector arrays merged: the spaces the write names replace theirs, others are kept;
    /// a null payload keeps the stored one) and the rest are inserted plainly, without ON CONFLICT's speculative
    /// insertion (a pre-check probe and a confirm WAL record per row). <c>s</c> is empty when the collection does
    /// not exist, and then nothing is written. An upsert revives a deleted id: its tombstone is removed.
    /// </summary>
    /// <remarks>
    /// Existing rows are found by one scalar subquery per item (<c>w.existing</c>, <c>gone</c>): an equality on the
    /// whole primary key is always planned as a unique-index probe, and scalar subqueries are never flattened
    /// into joins. The rows are then updated and deleted by TID. A plain join of the batch to the table lets
    /// the planner read the whole collection through its sequence index instead when statistics are stale or
    /// missing (seen right after a bulk start), which costs O(collection) per batch.
    /// </remarks>
    private static string UpsertSql(string rows) => $$"""
        WITH s AS (SELECT key, last_sequence AS seq FROM collections WHERE name = @collection),
        w AS MATERIALIZED (
            SELECT r.*, (SELECT i.ctid FROM items AS i WHERE i.collection_key = (SELECT key FROM s) AND i.id = r.id) AS existing
            FROM ({{rows}}) AS r),
        updated AS (
            UPDATE items AS i SET
                seq = s.seq,
                shard = w.shard,
                payload = COALESCE(w.payload, i.payload),
                (spaces, vectors) = (
                    SELECT COALESCE(array_agg(m.space), '{}'), COALESCE(array_agg(m.data), '{}') FROM (
                        SELECT o.space, o.data FROM unnest(i.spaces, i.vectors) AS o(space, data)
                        WHERE o.space <> ALL (w.spaces)
                        UNION ALL
                        SELECT * FROM unnest(w.spaces, w.vectors)) AS m(space, data))
            FROM w, s
            WHERE i.ctid = ANY(ARRAY(SELECT existing FROM w WHERE existing IS NOT NULL)) AND i.ctid = w.existing),
        inserted AS (
            INSERT INTO items (collection_key, seq, id, payload, spaces, vectors, shard)
            SELECT s.key, s.seq, w.id, COALESCE(w.payload, '{}'), w.spaces, w.vectors, w.shard FROM w, s
            WHERE w.existing IS NULL),
        revived AS (
            SELECT (SELECT t.ctid FROM tombstones AS t WHERE t.collection_key = (SELECT key FROM s) AND t.id = w.id) AS tid
            FROM w)
        DELETE FROM tombstones WHERE ctid = ANY(ARRAY(SELECT tid FROM revived WHERE tid IS NOT NULL))
        """;

    private const string DeleteSql = """
        WITH s AS (SELECT key, last_sequence AS seq FROM collections WHERE name = @collection),
        doomed AS MATERIALIZED (
            SELECT d.id, d.shard,
                (SELECT i.ctid FROM items AS i WHERE i.collection_key = (SELECT key FROM s) AND i.id = d.id) AS tid
            FROM unnest(@deletes::text[], @delete_shards::smallint[]) AS d(id, shard)),
        gone AS (
            DELETE FROM items WHERE ctid = ANY(ARRAY(SELECT tid FROM doomed WHERE tid IS NOT NULL)) RETURNING id),
        gone_inputs AS (
            DELETE FROM raw_inputs WHERE collection_key = (SELECT key FROM s) AND item_id IN (SELECT id FROM gone))
        INSERT INTO tombstones (collection_key, seq, id, shard)
        SELECT s.key, s.seq, gone.id, doomed.shard FROM gone JOIN doomed USING (id), s
        ON CONFLICT (collection_key, id) DO UPDATE SET seq = EXCLUDED.seq, shard = EXCLUDED.shard
        """;

    public async Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return (await WriteGroupAsync(collection, [batch], cancellationToken))[0];
    }

    /// <summary>
    /// Several batches in one round trip and one transaction: each batch's statements follow its own sequence
    /// increment, so its rows carry its own sequence; the collection row stays locked from the first increment to the
    /// commit, so the group's sequences are consecutive. One item notice at the end carries the last of them (a
    /// follower reads every change after the sequence it applied, so the intermediate notices would add nothing).
    /// </summary>
    public async Task<IReadOnlyList<long>> WriteGroupAsync(string collection, IReadOnlyList<WriteBatch> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            throw new ArgumentException("a write group needs at least one batch", nameof(batches));
        }

        // Everything the group sends is built before the connection is touched: a failure while reading a batch leaves
        // nothing half-sent.
        await using var command = new NpgsqlBatch();
        var sent = new List<SentBatch>(batches.Count);
        foreach (var batch in batches)
        {
            ArgumentNullException.ThrowIfNull(batch);
            batch.Shards?.EnsureMatches(batch);
            sent.Add(AddBatchCommands(command, collection, batch));
        }

        if (NotifyWrites)
        {
            var notify = new NpgsqlBatchCommand(NotifyItemsSql);
            notify.Parameters.AddWithValue("collection", collection);
            command.BatchCommands.Add(notify);
        }

        NpgsqlConnection connection;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (PostgresFailures.IsCannotConnect(e))
        {
            throw new StoreUnavailableException(
                $"PostgreSQL could not be reached, the batch was not sent: {e.Message}", StoreWriteOutcome.NotCommitted, e);
        }

        await using (connection)
        {
            command.Connection = connection;
            try
            {
                return await ExecuteWriteAsync(command, connection, collection, sent, cancellationToken);
            }
            catch (NpgsqlException e) when (PostgresFailures.IsConnectionLost(e))
            {
                // The statements were sent: PostgreSQL may have committed them before the connection dropped (an
                // immediate shutdown ends a backend between its commit's WAL flush and its answer). The idle pooled
                // connections died with this one: dropped, so that the next writes fail fast or reconnect.
                dataSource.Clear();
                throw new StoreUnavailableException(
                    $"the connection to PostgreSQL was lost while the batch ran; it may or may not have committed: {e.Message}", StoreWriteOutcome.Unknown, e);
            }
        }
    }

    /// <summary>
    /// One batch of a write: its sequence increment, its marks' counters statement, its statistics' compare-and-set, and
    /// the batch itself.
    /// </summary>
    private sealed record SentBatch(WriteBatch Batch, NpgsqlBatchCommand Sequence, NpgsqlBatchCommand? Marks, NpgsqlBatchCommand? Statistics);

    private static SentBatch AddBatchCommands(NpgsqlBatch command, string collection, WriteBatch batch)
    {
        var sequenceCommand = new NpgsqlBatchCommand(batch.Guard is null ? NextSequenceSql : GuardedNextSequenceSql);
        sequenceCommand.Parameters.AddWithValue("collection", collection);
        if (batch.Guard is { } guard)
        {
            sequenceCommand.Parameters.AddWithValue("definition_version", guard.DefinitionVersion);
            sequenceCommand.Parameters.Add(new NpgsqlParameter<string?>("open_migration", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = guard.OpenMigration });
        }

        command.BatchCommands.Add(sequenceCommand);
        if (batch.Upserts.Count > 0)
        {
            command.BatchCommands.Add(UpsertCommand(collection, batch));
            if (RawInputsCommand(collection, batch.Upserts) is { } rawInputs)
            {
                command.BatchCommands.Add(rawInputs);
            }
        }

        if (batch.Deletes.Count > 0)
        {
            var delete = new NpgsqlBatchCommand(DeleteSql);
            delete.Parameters.AddWithValue("collection", collection);
            delete.Parameters.AddWithValue("deletes", batch.Deletes.ToArray());
            delete.Parameters.AddWithValue("delete_shards", ShardNumbers(batch.Shards?.Deletes, batch.Deletes.Count));
            command.BatchCommands.Add(delete);
        }

        var (marksCommand, statisticsCommand) = batch.Migration is { } marks ? AddMigrationMarks(command, collection, marks) : (null, null);
        return new SentBatch(batch, sequenceCommand, marksCommand, statisticsCommand);
    }

    private static async Task<IReadOnlyList<long>> ExecuteWriteAsync(
        NpgsqlBatch command, NpgsqlConnection connection, string collection, IReadOnlyList<SentBatch> sent, CancellationToken cancellationToken)
    {
        // Marks commit only while the migration is still in the phase they name, and that is known only once the batch
        // has run: such a batch runs in an explicit transaction (one more round trip, during migrations only) that is
        // rolled back when the counters statement matched no row. A guarded batch likewise (cluster mode): its later
        // statements would otherwise write under the collection's current sequence after a refused guard.
        var explicitTransaction = sent.Any(b => b.Marks is not null || b.Batch.Guard is not null);
        await using var transaction = explicitTransaction ? await connection.BeginTransactionAsync(cancellationToken) : null;
        command.Transaction = transaction;
        long? first = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                first = reader.GetInt64(0);
            }

            // Drain the remaining results so that an error of a later statement surfaces here.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        // Every batch took its sequence, or (a refused guard, a collection gone) none of the group may commit.
        var refused = first is null ? sent[0] : sent.FirstOrDefault(b => b.Sequence.RecordsAffected != 1);
        if (refused is not null)
        {
            if (transaction is not null)
            {
                await transaction.RollbackAsync(cancellationToken);
            }

            if (refused.Batch.Guard is not null)
            {
                await RequireCollectionAsync(connection, null, collection, cancellationToken);
                throw WriteGuard.Stale(collection);
            }

            throw CollectionNotFound(collection);
        }

        if (transaction is not null && sent.FirstOrDefault(b => b.Marks is { RecordsAffected: 0 }) is { Batch.Migration: { } applied })
        {
            await transaction.RollbackAsync(cancellationToken);
            throw MigrationStoreErrors.MarksPhaseMismatch(collection, applied);
        }

        if (transaction is not null
            && sent.FirstOrDefault(b => b.Statistics is { RecordsAffected: 0 }) is { Batch.Migration: { Statistics: { } statistics } withStatistics })
        {
            // Another node replaced the statistics since this one read them: the whole batch (the whole group) rolls back.
            await transaction.RollbackAsync(cancellationToken);
            throw new MigrationStatisticsConflictException(collection, withStatistics.MigrationId, statistics.ExpectedVersion);
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        // The collection row is locked from the first increment to the commit: the group's sequences follow each other.
        var sequences = new long[sent.Count];
        for (var i = 0; i < sequences.Length; i++)
        {
            sequences[i] = first!.Value + i;
        }

        return sequences;
    }

    /// <summary>The shards as a smallint[] parameter: the batch's, or shard 0 for each of <paramref name="count"/> ids when it carries none.</summary>
    private static short[] ShardNumbers(IReadOnlyList<int>? shards, int count)
    {
        var numbers = new short[count];
        if (shards is not null)
        {
            for (var i = 0; i < count; i++)
            {
                numbers[i] = (short)shards[i];
            }
        }

        return numbers;
    }

    private static NpgsqlBatchCommand UpsertCommand(string collection, WriteBatch batch)
    {
        var upserts = batch.Upserts;
        var ids = new string[upserts.Count];
        var payloads = new string?[upserts.Count];
        var vectorCount = 0;
        var oneVectorEach = true;
        for (var i = 0; i < upserts.Count; i++)
        {
            var write = upserts[i];
            ids[i] = write.Id;
            payloads[i] = write.PayloadJson;
            vectorCount += write.Vectors.Count;
            oneVectorEach &= write.Vectors.Count == 1;
        }

        // Vectors in item order; vectorItems[v] is the 1-based ordinal of the item vector v belongs to.
        var vectorItems = new long[vectorCount];
        var spaces = new string[vectorCount];
        var data = new byte[vectorCount][];
        var v = 0;
        for (var i = 0; i < upserts.Count; i++)
        {
            foreach (var (space, vector) in upserts[i].Vectors)
            {
                vectorItems[v] = i + 1;
                spaces[v] = space;
                data[v] = VectorBytes.Encode(vector);
                v++;
            }
        }

        var command = new NpgsqlBatchCommand(oneVectorEach ? OneVectorPerItemUpsertSql : GroupedUpsertSql);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("payloads", payloads);
        command.Parameters.AddWithValue("shards", ShardNumbers(batch.Shards?.Upserts, upserts.Count));
        command.Parameters.AddWithValue("spaces", spaces);
        command.Parameters.AddWithValue("data", data);
        if (!oneVectorEach)
        {
            command.Parameters.AddWithValue("vector_items", vectorItems);
        }

        return command;
    }
}

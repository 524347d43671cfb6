using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The write path: one batch is one round trip. The statements go out as one <see cref="NpgsqlBatch"/> with a
/// single Sync, so PostgreSQL runs them in one implicit transaction: an error in any of them rolls all of them
/// back, and the reply comes only after the commit (and, with the default synchronous_commit, its WAL flush).
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
    /// Every merge of an upsert set in one statement. The data-modifying CTEs touch disjoint rows (ids are unique
    /// in a batch; items with and without a payload are split because ON CONFLICT's EXCLUDED row cannot tell "no
    /// payload given" from "{}"), so sharing one snapshot is safe. <c>s</c> is empty when the collection does not
    /// exist, and then nothing is written. When none of the ids exists yet (<c>fresh</c>, one index scan; the
    /// preceding sequence statement holds the collection's row lock, so no other writer can add them meanwhile,
    /// and vectors never outlive their item), plain inserts skip ON CONFLICT's speculative insertion (a pre-check
    /// probe and a confirm WAL record per row); otherwise the merging inserts run. An upsert revives a deleted
    /// id: its tombstone is removed.
    /// </summary>
    private const string UpsertSql = """
        WITH s AS (SELECT last_sequence AS seq FROM collections WHERE name = @collection),
        fresh AS (SELECT NOT EXISTS (
            SELECT 1 FROM items WHERE collection = @collection AND id = ANY(@ids::text[])) AS yes),
        w AS MATERIALIZED (SELECT * FROM unnest(@ids::text[], @payloads::text[]) AS w(id, payload)),
        v AS MATERIALIZED (
            SELECT * FROM unnest(@vector_ids::text[], @spaces::text[], @data::bytea[]) AS v(item_id, space, data)),
        new_items AS (
            INSERT INTO items (collection, id, payload, seq)
            SELECT @collection, w.id, COALESCE(w.payload, '{}'), s.seq FROM w, s, fresh WHERE fresh.yes),
        with_payload AS (
            INSERT INTO items (collection, id, payload, seq)
            SELECT @collection, w.id, w.payload, s.seq FROM w, s, fresh WHERE NOT fresh.yes AND w.payload IS NOT NULL
            ON CONFLICT (collection, id) DO UPDATE SET payload = EXCLUDED.payload, seq = EXCLUDED.seq),
        without_payload AS (
            INSERT INTO items (collection, id, payload, seq)
            SELECT @collection, w.id, '{}', s.seq FROM w, s, fresh WHERE NOT fresh.yes AND w.payload IS NULL
            ON CONFLICT (collection, id) DO UPDATE SET seq = EXCLUDED.seq),
        new_vectors AS (
            INSERT INTO vectors (collection, item_id, space, data, seq)
            SELECT @collection, v.item_id, v.space, v.data, s.seq FROM v, s, fresh WHERE fresh.yes),
        merged_vectors AS (
            INSERT INTO vectors (collection, item_id, space, data, seq)
            SELECT @collection, v.item_id, v.space, v.data, s.seq FROM v, s, fresh WHERE NOT fresh.yes
            ON CONFLICT (collection, item_id, space) DO UPDATE SET data = EXCLUDED.data, seq = EXCLUDED.seq)
        DELETE FROM tombstones WHERE collection = @collection AND id = ANY(@ids::text[])
        """;

    private const string DeleteSql = """
        WITH gone AS (
            DELETE FROM items WHERE collection = @collection AND id = ANY(@deletes::text[]) RETURNING id),
        gone_vectors AS (
            DELETE FROM vectors WHERE collection = @collection AND item_id IN (SELECT id FROM gone)),
        gone_inputs AS (
            DELETE FROM raw_inputs WHERE collection = @collection AND item_id IN (SELECT id FROM gone))
        INSERT INTO tombstones (collection, id, seq)
        SELECT @collection, gone.id, s.last_sequence FROM gone, collections AS s WHERE s.name = @collection
        ON CONFLICT (collection, id) DO UPDATE SET seq = EXCLUDED.seq
        """;

    public async Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(batch);

        // Everything the batch sends is built before the connection is touched: a failure while reading the
        // batch leaves nothing half-sent.
        await using var command = new NpgsqlBatch();
        var sequenceCommand = new NpgsqlBatchCommand(NextSequenceSql);
        sequenceCommand.Parameters.AddWithValue("collection", collection);
        command.BatchCommands.Add(sequenceCommand);
        if (batch.Upserts.Count > 0)
        {
            command.BatchCommands.Add(UpsertCommand(collection, batch.Upserts));
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
            command.BatchCommands.Add(delete);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        command.Connection = connection;
        long? sequence = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                sequence = reader.GetInt64(0);
            }

            // Drain the remaining results so that an error of a later statement surfaces here.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        return sequence ?? throw CollectionNotFound(collection);
    }

    private static NpgsqlBatchCommand UpsertCommand(string collection, IReadOnlyList<ItemWrite> upserts)
    {
        var ids = new string[upserts.Count];
        var payloads = new string?[upserts.Count];
        var vectorCount = 0;
        for (var i = 0; i < upserts.Count; i++)
        {
            var write = upserts[i];
            ids[i] = write.Id;
            payloads[i] = write.PayloadJson;
            vectorCount += write.Vectors.Count;
        }

        var vectorIds = new string[vectorCount];
        var spaces = new string[vectorCount];
        var data = new byte[vectorCount][];
        var v = 0;
        for (var i = 0; i < upserts.Count; i++)
        {
            foreach (var (space, vector) in upserts[i].Vectors)
            {
                vectorIds[v] = ids[i];
                spaces[v] = space;
                data[v] = VectorBytes.Encode(vector);
                v++;
            }
        }

        var command = new NpgsqlBatchCommand(UpsertSql);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("payloads", payloads);
        command.Parameters.AddWithValue("vector_ids", vectorIds);
        command.Parameters.AddWithValue("spaces", spaces);
        command.Parameters.AddWithValue("data", data);
        return command;
    }
}

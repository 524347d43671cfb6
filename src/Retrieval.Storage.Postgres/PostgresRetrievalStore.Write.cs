using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The write path: one transaction per batch. Upserts are merged set-wise from a source relation: array
/// parameters (<c>unnest</c>) for small batches, temp tables filled by binary COPY for large ones (see
/// <see cref="BulkThreshold"/>). Deletes of ids that do not exist write no tombstone: there is nothing for a
/// change-feed reader to remove, and unknown-id deletes must not grow the tombstone table.
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    /// <summary>
    /// Upserts above this count are staged with binary COPY: it streams rows without per-parameter overhead,
    /// while below it the fixed cost of creating the temp tables outweighs the gain.
    /// </summary>
    internal const int BulkThreshold = 64;

    private const string InlineItems = "unnest(@ids::text[], @payloads::text[]) AS w(id, payload)";
    private const string InlineVectors = "unnest(@vector_ids::text[], @spaces::text[], @data::bytea[]) AS w(item_id, space, data)";
    private const string StagedItems = "write_items AS w";
    private const string StagedVectors = "write_vectors AS w";

    /// <summary>Temp tables that live for the write transaction only (ON COMMIT DROP, and gone on rollback).</summary>
    private const string CreateStagingSql = """
        CREATE TEMP TABLE write_items (id text COLLATE "C" NOT NULL, payload text) ON COMMIT DROP;
        CREATE TEMP TABLE write_vectors (item_id text COLLATE "C" NOT NULL, space text COLLATE "C" NOT NULL, data bytea NOT NULL) ON COMMIT DROP;
        """;

    public async Task<long> WriteAsync(string collection, WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(batch);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sequence = await NextSequenceAsync(connection, transaction, collection, cancellationToken);

        await using var merge = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        merge.Parameters.AddWithValue("collection", collection);
        merge.Parameters.AddWithValue("seq", sequence);
        var sql = new List<string>();
        if (batch.Upserts.Count > BulkThreshold)
        {
            await StageUpsertsAsync(connection, transaction, batch.Upserts, cancellationToken);
            sql.AddRange(UpsertStatements(StagedItems, StagedVectors));
        }
        else if (batch.Upserts.Count > 0)
        {
            AddInlineUpserts(merge, batch.Upserts);
            sql.AddRange(UpsertStatements(InlineItems, InlineVectors));
        }

        if (batch.Deletes.Count > 0)
        {
            merge.Parameters.AddWithValue("deletes", batch.Deletes.ToArray());
            sql.Add("""
                WITH gone AS (
                    DELETE FROM items WHERE collection = @collection AND id = ANY(@deletes::text[]) RETURNING id),
                gone_vectors AS (
                    DELETE FROM vectors WHERE collection = @collection AND item_id IN (SELECT id FROM gone))
                INSERT INTO tombstones (collection, id, seq) SELECT @collection, id, @seq FROM gone
                ON CONFLICT (collection, id) DO UPDATE SET seq = EXCLUDED.seq
                """);
        }

        if (sql.Count > 0)
        {
            // One round trip for every merge statement of the batch.
            merge.CommandText = string.Join(";\n", sql);
            await merge.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return sequence;
    }

    /// <summary>
    /// The merge statements over an items source (id, payload) and a vectors source (item_id, space, data).
    /// Sources are the constants above, never request data. Items with and without a payload are two
    /// statements because ON CONFLICT's EXCLUDED row cannot tell "no payload given" from "{}".
    /// </summary>
    private static string[] UpsertStatements(string items, string vectors) =>
    [
        $$"""
        INSERT INTO items (collection, id, payload, seq)
        SELECT @collection, w.id, w.payload, @seq FROM {{items}} WHERE w.payload IS NOT NULL
        ON CONFLICT (collection, id) DO UPDATE SET payload = EXCLUDED.payload, seq = EXCLUDED.seq
        """,
        $$"""
        INSERT INTO items (collection, id, payload, seq)
        SELECT @collection, w.id, '{}', @seq FROM {{items}} WHERE w.payload IS NULL
        ON CONFLICT (collection, id) DO UPDATE SET seq = EXCLUDED.seq
        """,
        $$"""
        INSERT INTO vectors (collection, item_id, space, data, seq)
        SELECT @collection, w.item_id, w.space, w.data, @seq FROM {{vectors}}
        ON CONFLICT (collection, item_id, space) DO UPDATE SET data = EXCLUDED.data, seq = EXCLUDED.seq
        """,
        // An upsert revives a deleted id: its tombstone must not reach change-feed readers any more.
        $"DELETE FROM tombstones WHERE collection = @collection AND id IN (SELECT w.id FROM {items})",
    ];

    private static async Task<long> NextSequenceAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE collections SET last_sequence = last_sequence + 1 WHERE name = @name RETURNING last_sequence;",
            connection,
            transaction);
        command.Parameters.AddWithValue("name", collection);
        return await command.ExecuteScalarAsync(cancellationToken) is long sequence
            ? sequence
            : throw CollectionNotFound(collection);
    }

    private static void AddInlineUpserts(NpgsqlCommand command, IReadOnlyList<ItemWrite> upserts)
    {
        var ids = new string[upserts.Count];
        var payloads = new string?[upserts.Count];
        var vectorIds = new List<string>();
        var spaces = new List<string>();
        var data = new List<byte[]>();
        for (var i = 0; i < upserts.Count; i++)
        {
            ids[i] = upserts[i].Id;
            payloads[i] = upserts[i].PayloadJson;
            foreach (var (space, vector) in upserts[i].Vectors)
            {
                vectorIds.Add(upserts[i].Id);
                spaces.Add(space);
                data.Add(VectorBytes.Encode(vector));
            }
        }

        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("payloads", payloads);
        command.Parameters.AddWithValue("vector_ids", vectorIds.ToArray());
        command.Parameters.AddWithValue("spaces", spaces.ToArray());
        command.Parameters.AddWithValue("data", data.ToArray());
    }
}

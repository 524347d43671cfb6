using Npgsql;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// Raw inputs (texts, images, tensors) of collections that keep them, one row per (item, space), written in the same
/// implicit transaction as the vectors they were encoded into and removed with their item, space or collection.
/// </summary>
public sealed partial class PostgresRetrievalStore
{
    /// <summary>
    /// Removes the stored input of spaces written with a plain vector (it no longer describes that vector), then sets
    /// the inputs sent. Guarded by the collection's existence like the upsert itself: for an unknown collection the
    /// batch writes nothing.
    /// </summary>
    private const string RawInputsSql = """
        WITH s AS (SELECT key FROM collections WHERE name = @collection),
        stale AS (
            DELETE FROM raw_inputs AS r
            USING unnest(@stale_ids::text[], @stale_spaces::text[]) AS x(item_id, space), s
            WHERE r.collection_key = s.key AND r.item_id = x.item_id AND r.space = x.space)
        INSERT INTO raw_inputs (collection_key, item_id, space, kind, content)
        SELECT s.key, i.item_id, i.space, i.kind, i.content
        FROM unnest(@ids::text[], @spaces::text[], @kinds::integer[], @contents::bytea[]) AS i(item_id, space, kind, content), s
        ON CONFLICT (collection_key, item_id, space) DO UPDATE SET kind = EXCLUDED.kind, content = EXCLUDED.content
        """;

    public async Task<IReadOnlyList<StoredRawInput>> GetRawInputsAsync(
        string collection, IReadOnlyList<string> ids, string? space, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await RequireCollectionAsync(connection, null, collection, cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT item_id, space, kind, content FROM raw_inputs
            WHERE collection_key = (SELECT key FROM collections WHERE name = @collection)
              AND item_id = ANY(@ids::text[]) AND (@space::text IS NULL OR space = @space::text)
            ORDER BY item_id, space
            """,
            connection);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("ids", ids.Distinct(StringComparer.Ordinal).ToArray());
        command.Parameters.Add(new NpgsqlParameter("space", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)space ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var inputs = new List<StoredRawInput>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var input = new RawInput((RawInputKind)reader.GetInt32(2), reader.GetFieldValue<byte[]>(3));
            inputs.Add(new StoredRawInput(reader.GetString(0), reader.GetString(1), input));
        }

        return inputs;
    }

    /// <summary>The raw-input statement of a batch, or null when no upsert carries <see cref="ItemWrite.RawInputs"/>.</summary>
    private static NpgsqlBatchCommand? RawInputsCommand(string collection, IReadOnlyList<ItemWrite> upserts)
    {
        if (upserts.All(u => u.RawInputs is null))
        {
            return null;
        }

        var ids = new List<string>();
        var spaces = new List<string>();
        var kinds = new List<int>();
        var contents = new List<byte[]>();
        var staleIds = new List<string>();
        var staleSpaces = new List<string>();
        foreach (var write in upserts.Where(u => u.RawInputs is not null))
        {
            foreach (var space in write.Vectors.Keys)
            {
                if (write.RawInputs!.TryGetValue(space, out var input))
                {
                    ids.Add(write.Id);
                    spaces.Add(space);
                    kinds.Add((int)input.Kind);
                    contents.Add(input.Content);
                }
                else
                {
                    staleIds.Add(write.Id);
                    staleSpaces.Add(space);
                }
            }
        }

        var command = new NpgsqlBatchCommand(RawInputsSql);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        command.Parameters.AddWithValue("spaces", spaces.ToArray());
        command.Parameters.AddWithValue("kinds", kinds.ToArray());
        command.Parameters.AddWithValue("contents", contents.ToArray());
        command.Parameters.AddWithValue("stale_ids", staleIds.ToArray());
        command.Parameters.AddWithValue("stale_spaces", staleSpaces.ToArray());
        return command;
    }
}

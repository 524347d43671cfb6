using Microsoft.Data.Sqlite;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>
/// Raw inputs (texts, images, tensors) of collections that keep them, one row per (item, space), written in the same
/// transaction as the vectors they were encoded into and removed with their item, space or collection.
/// </summary>
public sealed partial class SqliteRetrievalStore
{
    public async Task<IReadOnlyList<StoredRawInput>> GetRawInputsAsync(
        string collection, IReadOnlyList<string> ids, string? space, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        await using var command = Command(connection, transaction, """
            SELECT item_id, space, kind, content FROM raw_inputs
            WHERE collection = $collection AND item_id = $id AND ($space IS NULL OR space = $space)
            ORDER BY space;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$space", (object?)space ?? DBNull.Value);
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var inputs = new List<StoredRawInput>();
        foreach (var itemId in ids.Distinct(StringComparer.Ordinal))
        {
            id.Value = itemId;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var input = new RawInput((RawInputKind)reader.GetInt32(2), (byte[])reader.GetValue(3));
                inputs.Add(new StoredRawInput(reader.GetString(0), reader.GetString(1), input));
            }
        }

        return inputs;
    }

    /// <summary>
    /// For upserts that carry <see cref="ItemWrite.RawInputs"/>: sets the input of each space written with one and
    /// removes the stored input of each space written with a plain vector (it no longer describes that vector).
    /// </summary>
    private static async Task WriteRawInputsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IReadOnlyList<ItemWrite> upserts, CancellationToken cancellationToken)
    {
        if (upserts.All(u => u.RawInputs is null))
        {
            return;
        }

        await using var upsert = Command(connection, transaction, """
            INSERT INTO raw_inputs (collection, item_id, space, kind, content) VALUES ($collection, $id, $space, $kind, $content)
            ON CONFLICT (collection, item_id, space) DO UPDATE SET kind = excluded.kind, content = excluded.content;
            """);
        upsert.Parameters.AddWithValue("$collection", collection);
        var upsertId = upsert.Parameters.Add("$id", SqliteType.Text);
        var upsertSpace = upsert.Parameters.Add("$space", SqliteType.Text);
        var kind = upsert.Parameters.Add("$kind", SqliteType.Integer);
        var content = upsert.Parameters.Add("$content", SqliteType.Blob);

        await using var stale = Command(connection, transaction,
            "DELETE FROM raw_inputs WHERE collection = $collection AND item_id = $id AND space = $space;");
        stale.Parameters.AddWithValue("$collection", collection);
        var staleId = stale.Parameters.Add("$id", SqliteType.Text);
        var staleSpace = stale.Parameters.Add("$space", SqliteType.Text);

        foreach (var write in upserts.Where(u => u.RawInputs is not null))
        {
            foreach (var spaceName in write.Vectors.Keys)
            {
                if (write.RawInputs!.TryGetValue(spaceName, out var input))
                {
                    upsertId.Value = write.Id;
                    upsertSpace.Value = spaceName;
                    kind.Value = (int)input.Kind;
                    content.Value = input.Content;
                    await upsert.ExecuteNonQueryAsync(cancellationToken);
                }
                else
                {
                    staleId.Value = write.Id;
                    staleSpace.Value = spaceName;
                    await stale.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }
    }

    private static async Task DeleteRawInputsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await using var delete = Command(connection, transaction, "DELETE FROM raw_inputs WHERE collection = $collection AND item_id = $id;");
        delete.Parameters.AddWithValue("$collection", collection);
        var id = delete.Parameters.Add("$id", SqliteType.Text);
        foreach (var itemId in ids)
        {
            id.Value = itemId;
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

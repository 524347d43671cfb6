using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>Reads: the change feed, point lookups and counters.</summary>
public sealed partial class PostgresRetrievalStore
{
    /// <summary>Changes fetched per round: bounds memory while streaming a full load of millions of items.</summary>
    internal const int ChangePageSize = 1000;

    /// <summary>Where the first page starts: strictly after the caller's sequence.</summary>
    private const string FirstPageCondition = "seq > @after_seq";

    /// <summary>Where later pages start: after the last (seq, id) read, a row comparison the btree uses as its bound.</summary>
    private const string NextPageCondition = "(seq, id) > (@after_seq, @after_id)";

    /// <summary>
    /// A page of the change feed: the first @limit keys of items and tombstones after the cursor merged in
    /// (seq, id) order, each item with its vectors aggregated into two arrays. Both inner queries walk their
    /// (collection, seq, id) index from the cursor and the vectors come by primary-key lookups, so a page
    /// costs O(page) however large the collection is, and nothing is sorted beyond one page.
    /// </summary>
    private static readonly string FirstPageSql = ChangePageSql(FirstPageCondition);
    private static readonly string NextPageSql = ChangePageSql(NextPageCondition);

    private static string ChangePageSql(string cursorCondition) => $"""
        SELECT k.seq, k.id, k.deleted, i.payload, v.spaces, v.data
        FROM (
            (SELECT seq, id, false AS deleted FROM items WHERE collection = @collection AND {cursorCondition}
             ORDER BY seq, id LIMIT @limit)
            UNION ALL
            (SELECT seq, id, true AS deleted FROM tombstones WHERE collection = @collection AND {cursorCondition}
             ORDER BY seq, id LIMIT @limit)
            ORDER BY seq, id LIMIT @limit) AS k
        LEFT JOIN items AS i ON NOT k.deleted AND i.collection = @collection AND i.id = k.id
        LEFT JOIN LATERAL (
            SELECT array_agg(space) AS spaces, array_agg(data) AS data FROM vectors
            WHERE NOT k.deleted AND collection = @collection AND item_id = k.id) AS v ON true
        ORDER BY k.seq, k.id;
        """;

    public async IAsyncEnumerable<ItemChange> ReadChangesAsync(
        string collection, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // One REPEATABLE READ snapshot over all pages: a concurrent write can neither be half-seen nor make an
        // item appear twice.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);

        await using var command = new NpgsqlCommand(FirstPageSql, connection, transaction);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("limit", ChangePageSize);
        var afterSeq = command.Parameters.AddWithValue("after_seq", afterSequence);
        var afterId = command.Parameters.AddWithValue("after_id", string.Empty);

        while (true)
        {
            var page = await ReadChangesAsync(command, cancellationToken);
            foreach (var change in page)
            {
                yield return change;
            }

            if (page.Count < ChangePageSize)
            {
                break;
            }

            if (!ReferenceEquals(command.CommandText, NextPageSql))
            {
                // Prepared once: the remaining pages of a full load reuse the server-side plan.
                command.CommandText = NextPageSql;
                await command.PrepareAsync(cancellationToken);
            }

            afterSeq.Value = page[^1].Sequence;
            afterId.Value = page[^1].Id;
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredItem>> GetItemsAsync(
        string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        if (ids.Count == 0)
        {
            return [];
        }

        await using var command = new NpgsqlCommand(
            """
            SELECT i.seq, i.id, false, i.payload, v.spaces, v.data
            FROM items AS i
            LEFT JOIN LATERAL (
                SELECT array_agg(space) AS spaces, array_agg(data) AS data FROM vectors
                WHERE collection = i.collection AND item_id = i.id) AS v ON true
            WHERE i.collection = @collection AND i.id = ANY(@ids::text[]);
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("collection", collection);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        var changes = await ReadChangesAsync(command, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return changes.Select(c => c.Item!).ToList();
    }

    public async Task<long> CountItemsAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM items WHERE collection = @collection) FROM collections WHERE name = @collection;
            """);
        command.Parameters.AddWithValue("collection", collection);
        return await command.ExecuteScalarAsync(cancellationToken) is long count ? count : throw CollectionNotFound(collection);
    }

    public async Task<long> GetLastSequenceAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await RequireCollectionAsync(connection, null, collection, cancellationToken);
    }

    /// <summary>Reads rows of (seq, id, deleted, payload, spaces[], data[]): one row per item or delete.</summary>
    private static async Task<List<ItemChange>> ReadChangesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var changes = new List<ItemChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sequence = reader.GetInt64(0);
            var id = reader.GetString(1);
            if (reader.GetBoolean(2))
            {
                changes.Add(new ItemChange(id, sequence, null));
                continue;
            }

            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            if (!reader.IsDBNull(4))
            {
                var spaces = reader.GetFieldValue<string[]>(4);
                var data = reader.GetFieldValue<byte[][]>(5);
                for (var i = 0; i < spaces.Length; i++)
                {
                    vectors[spaces[i]] = VectorBytes.Decode(data[i]);
                }
            }

            changes.Add(new ItemChange(id, sequence, new StoredItem(id, reader.GetString(3), vectors, sequence)));
        }

        return changes;
    }
}

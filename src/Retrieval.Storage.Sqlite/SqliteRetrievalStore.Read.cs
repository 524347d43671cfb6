using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>Reads: the change feed, point lookups and counters, each on a pooled reader connection.</summary>
public sealed partial class SqliteRetrievalStore
{
    /// <summary>Changes fetched per round: bounds memory while streaming a full load of millions of items.</summary>
    internal const int ChangePageSize = 1000;

    /// <summary>Where the first page starts: strictly after the caller's sequence.</summary>
    private const string FirstPageCondition = "seq > $afterSeq";

    /// <summary>
    /// Where later pages start: after the last (seq, id) read. A separate statement rather than one with both
    /// conditions, because SQLite then bounds the index scan by seq only and rescans each page's predecessors.
    /// </summary>
    private const string NextPageCondition = "(seq, id) > ($afterSeq, $afterId)";

    /// <summary>
    /// A page of the change feed: the first <c>$limit</c> keys of items and tombstones after the cursor merged
    /// in (seq, id) order, each item joined with its vectors (one row per vector). Both inner queries walk their
    /// (collection, seq, id) index from the cursor, so a page costs O(page) however large the collection is.
    /// </summary>
    private static readonly string FirstPageSql = ChangePageSql(FirstPageCondition, shardCondition: "");
    private static readonly string NextPageSql = ChangePageSql(NextPageCondition, shardCondition: "");

    /// <summary>
    /// The pages of one shard's changes: the same walk through the (collection, shard, seq, id) indexes (schema upgrade 8),
    /// so a shard's page costs O(page) however many other shards the collection has.
    /// </summary>
    private static readonly string FirstShardPageSql = ChangePageSql(FirstPageCondition, ShardCondition);
    private static readonly string NextShardPageSql = ChangePageSql(NextPageCondition, ShardCondition);

    private const string ShardCondition = "AND shard = $shard";

    private static string ChangePageSql(string cursorCondition, string shardCondition) => $"""
        SELECT k.seq, k.id, k.deleted, i.payload, v.space, v.data, k.shard
        FROM (
            SELECT seq, id, deleted, shard FROM (
                SELECT seq, id, 0 AS deleted, shard FROM (
                    SELECT seq, id, shard FROM items WHERE collection = $collection {shardCondition} AND {cursorCondition}
                    ORDER BY seq, id LIMIT $limit)
                UNION ALL
                SELECT seq, id, 1 AS deleted, shard FROM (
                    SELECT seq, id, shard FROM tombstones WHERE collection = $collection {shardCondition} AND {cursorCondition}
                    ORDER BY seq, id LIMIT $limit))
            ORDER BY seq, id LIMIT $limit) AS k
        LEFT JOIN items AS i ON k.deleted = 0 AND i.collection = $collection AND i.id = k.id
        LEFT JOIN vectors AS v ON k.deleted = 0 AND v.collection = $collection AND v.item_id = k.id
        ORDER BY k.seq, k.id;
        """;

    public async IAsyncEnumerable<ItemChange> ReadChangesAsync(
        string collection, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await OpenConnectionAsync(cancellationToken);

        // One read transaction over all pages: WAL gives it a single snapshot, so a concurrent write can
        // neither be half-seen nor make an item appear twice.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        await foreach (var change in ReadChangesAsync(connection, transaction, collection, afterSequence, cancellationToken))
        {
            yield return change;
        }
    }

    public async IAsyncEnumerable<ItemChange> ReadShardChangesAsync(
        string collection, int shard, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        await foreach (var change in ReadChangesAsync(connection, transaction, collection, afterSequence, shard, cancellationToken))
        {
            yield return change;
        }
    }

    /// <summary>The change feed after <paramref name="afterSequence"/>, page by page, inside the caller's read transaction.</summary>
    private static IAsyncEnumerable<ItemChange> ReadChangesAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, long afterSequence, CancellationToken cancellationToken) =>
        ReadChangesAsync(connection, transaction, collection, afterSequence, shard: null, cancellationToken);

    /// <summary>The change feed of one shard, or of all when <paramref name="shard"/> is null.</summary>
    private static async IAsyncEnumerable<ItemChange> ReadChangesAsync(
        SqliteConnection connection, SqliteTransaction transaction, string collection, long afterSequence, int? shard,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, shard is null ? FirstPageSql : FirstShardPageSql);
        command.Parameters.AddWithValue("$collection", collection);
        if (shard is { } number)
        {
            command.Parameters.AddWithValue("$shard", number);
        }

        command.Parameters.AddWithValue("$limit", ChangePageSize);
        var afterSeq = command.Parameters.AddWithValue("$afterSeq", afterSequence);
        var afterId = command.Parameters.AddWithValue("$afterId", string.Empty);

        while (true)
        {
            var page = await ReadChangePageAsync(command, cancellationToken);
            foreach (var change in page)
            {
                yield return change;
            }

            if (page.Count < ChangePageSize)
            {
                yield break;
            }

            command.CommandText = shard is null ? NextPageSql : NextShardPageSql;
            afterSeq.Value = page[^1].Sequence;
            afterId.Value = page[^1].Id;
        }
    }

    public async Task<IReadOnlyList<StoredItem>> GetItemsAsync(
        string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(ids);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        if (ids.Count == 0)
        {
            return [];
        }

        // The ids travel as one JSON array parameter (json_each), so no SQL is built from the request.
        await using var command = Command(connection, transaction, """
            SELECT i.seq, i.id, 0, i.payload, v.space, v.data, i.shard
            FROM items AS i
            LEFT JOIN vectors AS v ON v.collection = i.collection AND v.item_id = i.id
            WHERE i.collection = $collection AND i.id IN (SELECT value FROM json_each($ids))
            ORDER BY i.id;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids));
        var changes = await ReadChangePageAsync(command, cancellationToken);
        return changes.Select(c => c.Item!).ToList();
    }

    public async Task<long> CountItemsAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT (SELECT COUNT(*) FROM items WHERE collection = $collection) FROM collections WHERE name = $collection;
            """);
        command.Parameters.AddWithValue("$collection", collection);
        return await command.ExecuteScalarAsync(cancellationToken) is long count ? count : throw CollectionNotFound(collection);
    }

    public async Task<long> GetLastSequenceAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await RequireCollectionAsync(connection, null, collection, cancellationToken);
    }

    /// <summary>
    /// Reads rows (seq, id, deleted, payload, space, data, shard) where the rows of one item are adjacent, and folds
    /// each item's vector rows into one <see cref="ItemChange"/>.
    /// </summary>
    private static async Task<List<ItemChange>> ReadChangePageAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var changes = new List<ItemChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        string? currentId = null;
        Dictionary<string, float[]>? vectors = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var sequence = reader.GetInt64(0);
            var id = reader.GetString(1);
            var shard = reader.GetInt32(6);
            if (reader.GetInt64(2) != 0)
            {
                changes.Add(new ItemChange(id, sequence, null) { Shard = shard });
                currentId = null;
                continue;
            }

            if (id != currentId)
            {
                currentId = id;
                vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
                changes.Add(new ItemChange(id, sequence, new StoredItem(id, reader.GetString(3), vectors, sequence)) { Shard = shard });
            }

            if (!reader.IsDBNull(4))
            {
                vectors![reader.GetString(4)] = VectorBytes.Decode(reader.GetFieldValue<byte[]>(5));
            }
        }

        return changes;
    }
}

using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>Reads: the change feed, point lookups and counters.</summary>
public sealed partial class PostgresRetrievalStore
{
    /// <summary>
    /// Changes fetched per round: bounds memory while streaming a full load of millions of items. A page holds
    /// whole batches (every change of a sequence number), so it can exceed this when one batch does.
    /// </summary>
    internal const int ChangePageSize = 1000;

    /// <summary>
    /// A page of the change feed: every item and tombstone with a sequence in (@after_seq, bound], ordered by
    /// (seq, id), where bound is the sequence of the @limit-th change after the cursor (none when fewer remain).
    /// Both tables are walked by their (collection_key, seq) index from the cursor, so a page costs O(page)
    /// however large the collection is, and only one page's rows are sorted by id. Paging at sequence
    /// boundaries lets that index leave out the id (see migration 3) without re-reading a batch that spans pages.
    /// </summary>
    private static readonly string ChangePageSql = ChangePage(shardCondition: "");

    /// <summary>
    /// <see cref="ChangePageSql"/> for one shard's rows: the same walk through the (collection_key, shard, seq) indexes
    /// (schema upgrade 12), so a shard's page costs O(page) however many other shards the collection has.
    /// </summary>
    private static readonly string ShardChangePageSql = ChangePage(shardCondition: "AND shard = @shard");

    private static string ChangePage(string shardCondition) => $"""
        WITH c AS (SELECT key FROM collections WHERE name = @collection),
        keys AS (
            (SELECT seq FROM items WHERE collection_key = (SELECT key FROM c) {shardCondition} AND seq > @after_seq ORDER BY seq LIMIT @limit)
            UNION ALL
            (SELECT seq FROM tombstones WHERE collection_key = (SELECT key FROM c) {shardCondition} AND seq > @after_seq ORDER BY seq LIMIT @limit)),
        bound AS (SELECT COALESCE((SELECT seq FROM keys ORDER BY seq OFFSET @limit - 1 LIMIT 1), 9223372036854775807) AS seq)
        SELECT i.seq, i.id, false, i.payload, i.spaces, i.vectors, i.shard FROM items AS i
        WHERE i.collection_key = (SELECT key FROM c) {shardCondition} AND i.seq > @after_seq AND i.seq <= (SELECT seq FROM bound)
        UNION ALL
        SELECT t.seq, t.id, true, NULL, NULL, NULL, t.shard FROM tombstones AS t
        WHERE t.collection_key = (SELECT key FROM c) {shardCondition} AND t.seq > @after_seq AND t.seq <= (SELECT seq FROM bound)
        ORDER BY 1, 2;
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
        await foreach (var change in ReadChangesAsync(connection, transaction, collection, afterSequence, cancellationToken))
        {
            yield return change;
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async IAsyncEnumerable<ItemChange> ReadShardChangesAsync(
        string collection, int shard, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await RequireCollectionAsync(connection, transaction, collection, cancellationToken);
        if (shard <= short.MaxValue)
        {
            await foreach (var change in ReadChangesAsync(connection, transaction, collection, afterSequence, shard, cancellationToken))
            {
                yield return change;
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The change feed after <paramref name="afterSequence"/>, page by page, inside the caller's REPEATABLE READ transaction.</summary>
    private static IAsyncEnumerable<ItemChange> ReadChangesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, long afterSequence, CancellationToken cancellationToken) =>
        ReadChangesAsync(connection, transaction, collection, afterSequence, shard: null, cancellationToken);

    /// <summary>The change feed of one shard, or of all when <paramref name="shard"/> is null.</summary>
    private static async IAsyncEnumerable<ItemChange> ReadChangesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, long afterSequence, int? shard,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(shard is null ? ChangePageSql : ShardChangePageSql, connection, transaction);
        command.Parameters.AddWithValue("collection", collection);
        if (shard is { } number)
        {
            command.Parameters.AddWithValue("shard", (short)number);
        }

        command.Parameters.AddWithValue("limit", ChangePageSize);
        var afterSeq = command.Parameters.AddWithValue("after_seq", afterSequence);

        while (true)
        {
            var page = await ReadChangesAsync(command, cancellationToken);
            foreach (var change in page)
            {
                yield return change;
            }

            // A page ends at a sequence boundary and is short only when nothing follows it.
            if (page.Count < ChangePageSize)
            {
                break;
            }

            afterSeq.Value = page[^1].Sequence;
        }
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

        // One primary-key probe per id (see UpsertSql's remarks for why not a join), then a TID fetch.
        await using var command = new NpgsqlCommand(
            """
            WITH found AS (
                SELECT (SELECT i.ctid FROM items AS i
                        WHERE i.collection_key = (SELECT key FROM collections WHERE name = @collection) AND i.id = x.id) AS tid
                FROM unnest(@ids::text[]) AS x(id))
            SELECT seq, id, false, payload, spaces, vectors, shard FROM items
            WHERE ctid = ANY(ARRAY(SELECT tid FROM found WHERE tid IS NOT NULL));
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
            SELECT (SELECT count(*) FROM items WHERE collection_key = c.key) FROM collections AS c WHERE c.name = @collection;
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

    /// <summary>Reads rows of (seq, id, deleted, payload, spaces[], data[], shard): one row per item or delete.</summary>
    private static async Task<List<ItemChange>> ReadChangesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var changes = new List<ItemChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sequence = reader.GetInt64(0);
            var id = reader.GetString(1);
            var shard = reader.GetInt16(6);
            if (reader.GetBoolean(2))
            {
                changes.Add(new ItemChange(id, sequence, null) { Shard = shard });
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

            changes.Add(new ItemChange(id, sequence, new StoredItem(id, reader.GetString(3), vectors, sequence)) { Shard = shard });
        }

        return changes;
    }
}

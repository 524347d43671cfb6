using System.Data;
using Npgsql;
using NpgsqlTypes;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// Shard snapshots in the database (schema upgrade 13): one row per (collection, shard) with its sequence and size, and the
/// file's bytes in chunks of <see cref="SnapshotChunkBytes"/> (bytea rows, not large objects: docs/decisions.md says why).
/// A write replaces a shard's rows in one transaction, so readers, who read in one REPEATABLE READ snapshot, get the old
/// file or the new one whole.
/// </summary>
public sealed partial class PostgresRetrievalStore : IShardSnapshotStore
{
    /// <summary>
    /// Bytes per chunk row: large enough that a multi-gigabyte snapshot is a few thousand rows, small enough that neither
    /// side holds more than this of it in memory at once (and far from bytea's 1 GB limit).
    /// </summary>
    internal const int SnapshotChunkBytes = 1 << 20;

    public async Task WriteShardSnapshotAsync(string collection, int shard, long sequence, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shard, (int)short.MaxValue);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // KEY SHARE holds off the collection's deletion until the commit (its rows, these among them, are deleted after
        // ours then) without blocking item writes, whose sequence update takes a weaker lock than FOR SHARE would conflict with.
        int key;
        await using (var lookup = new NpgsqlCommand("SELECT key FROM collections WHERE name = @collection FOR KEY SHARE;", connection, transaction))
        {
            lookup.Parameters.AddWithValue("collection", collection);
            key = await lookup.ExecuteScalarAsync(cancellationToken) is int found ? found : throw CollectionNotFound(collection);
        }

        // The header row's lock serializes two writers of one shard: the second replaces the first's chunks after its commit.
        await using (var header = new NpgsqlCommand(
            """
            INSERT INTO shard_snapshots (collection_key, shard, sequence, size, written_at) VALUES (@key, @shard, @sequence, 0, now())
            ON CONFLICT (collection_key, shard) DO UPDATE SET sequence = EXCLUDED.sequence, size = 0, written_at = EXCLUDED.written_at;
            DELETE FROM shard_snapshot_chunks WHERE collection_key = @key AND shard = @shard;
            """,
            connection,
            transaction))
        {
            header.Parameters.AddWithValue("key", key);
            header.Parameters.AddWithValue("shard", (short)shard);
            header.Parameters.AddWithValue("sequence", sequence);
            await header.ExecuteNonQueryAsync(cancellationToken);
        }

        long size = 0;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY shard_snapshot_chunks (collection_key, shard, chunk, data) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            var buffer = new byte[SnapshotChunkBytes];
            for (var chunk = 0; ; chunk++)
            {
                var filled = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (filled == 0)
                {
                    break;
                }

                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(key, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync((short)shard, NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync(chunk, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(new ArraySegment<byte>(buffer, 0, filled), NpgsqlDbType.Bytea, cancellationToken);
                size += filled;
                if (filled < buffer.Length)
                {
                    break;
                }
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var sized = new NpgsqlCommand(
            "UPDATE shard_snapshots SET size = @size WHERE collection_key = @key AND shard = @shard;", connection, transaction))
        {
            sized.Parameters.AddWithValue("size", size);
            sized.Parameters.AddWithValue("key", key);
            sized.Parameters.AddWithValue("shard", (short)shard);
            await sized.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<long?> ReadShardSnapshotAsync(string collection, int shard, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        if (shard > short.MaxValue)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        long sequence;
        long size;
        int key;
        await using (var header = new NpgsqlCommand(
            """
            SELECT s.collection_key, s.sequence, s.size FROM shard_snapshots AS s
            WHERE s.collection_key = (SELECT key FROM collections WHERE name = @collection) AND s.shard = @shard;
            """,
            connection,
            transaction))
        {
            header.Parameters.AddWithValue("collection", collection);
            header.Parameters.AddWithValue("shard", (short)shard);
            await using var reader = await header.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (key, sequence, size) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        long copied = 0;
        await using (var chunks = new NpgsqlCommand(
            "SELECT data FROM shard_snapshot_chunks WHERE collection_key = @key AND shard = @shard ORDER BY chunk;", connection, transaction))
        {
            chunks.Parameters.AddWithValue("key", key);
            chunks.Parameters.AddWithValue("shard", (short)shard);
            await using var reader = await chunks.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            var buffer = new byte[1 << 16];
            while (await reader.ReadAsync(cancellationToken))
            {
                await using var data = await reader.GetStreamAsync(0, cancellationToken);
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    copied += read;
                }
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return copied == size
            ? sequence
            : throw new InvalidDataException($"the stored snapshot of collection '{collection}' shard {shard} holds {copied} bytes, its header says {size}");
    }

    public async Task<bool> HasShardSnapshotsAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var command = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM shard_snapshots WHERE collection_key = (SELECT key FROM collections WHERE name = @collection));");
        command.Parameters.AddWithValue("collection", collection);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async Task DeleteShardSnapshotsAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            DeleteShardSnapshotsSql.Replace("@key", "(SELECT key FROM collections WHERE name = @collection)", StringComparison.Ordinal),
            connection,
            transaction);
        command.Parameters.AddWithValue("collection", collection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A collection's snapshot rows, by key: also deleted with the collection's other rows.</summary>
    private const string DeleteShardSnapshotsSql = """
        DELETE FROM shard_snapshot_chunks WHERE collection_key = @key;
        DELETE FROM shard_snapshots WHERE collection_key = @key;
        """;
}

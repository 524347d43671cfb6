using System.Data.Common;
using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>
/// Reads migration rows that both stores select in the same column order (collection, id, from space, to space,
/// map id, phase, …, created at, updated at, changed by). Only the timestamp encoding differs between stores, so
/// each passes its own reader for columns 16 and 17.
/// </summary>
public static class StoredMigrationReader
{
    public static async Task<List<StoredMigration>> ReadAllAsync(DbCommand command, Func<DbDataReader, int, DateTimeOffset> timestamp, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var migrations = new List<StoredMigration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            migrations.Add(new StoredMigration(
                reader.GetString(1),
                reader.GetString(0),
                reader.GetString(2),
                reader.GetString(3),
                Text(4),
                (MigrationPhase)reader.GetInt32(5),
                reader.GetString(6),
                Text(7),
                Text(8),
                Text(9),
                Text(10),
                Text(11),
                reader.GetInt64(12),
                reader.GetInt64(13),
                reader.GetInt64(14),
                Text(15),
                timestamp(reader, 16),
                timestamp(reader, 17),
                reader.GetString(18)));
        }

        return migrations;
    }
}

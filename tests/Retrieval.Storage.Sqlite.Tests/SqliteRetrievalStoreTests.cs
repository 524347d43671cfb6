using Microsoft.Data.Sqlite;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite.Tests;

/// <summary>SQLite-specific behaviour: the file, its journal mode and schema versioning.</summary>
public sealed class SqliteRetrievalStoreTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "retrieval-sqlite-tests", Guid.NewGuid().ToString("N"), "nested");

    [Fact]
    public async Task OpenAsync_MissingDirectory_CreatesWalDatabaseAtCurrentVersion()
    {
        await using (var store = new SqliteRetrievalStore(directory))
        {
            await store.OpenAsync(CancellationToken.None);
            Assert.Equal(Path.Combine(directory, "retrieval.db"), store.DatabasePath);
            Assert.Equal("sqlite", store.Kind);
        }

        Assert.Equal("wal", await QueryAsync("PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteSchema.CurrentVersion, await QueryAsync("SELECT MAX(version) FROM schema_version;"));
    }

    [Fact]
    public async Task OpenAsync_Twice_UpgradesTheSchemaOnlyOnce()
    {
        for (var i = 0; i < 2; i++)
        {
            await using var store = new SqliteRetrievalStore(directory);
            await store.OpenAsync(CancellationToken.None);
        }

        Assert.Equal((long)SqliteSchema.UpgradeCount, await QueryAsync("SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task OpenAsync_NewerSchemaVersion_ThrowsStoreSchemaException()
    {
        await using (var store = new SqliteRetrievalStore(directory))
        {
            await store.OpenAsync(CancellationToken.None);
        }

        await QueryAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 0);");

        await using var newer = new SqliteRetrievalStore(directory);
        var error = await Assert.ThrowsAsync<StoreSchemaException>(() => newer.OpenAsync(CancellationToken.None));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        var root = Path.GetDirectoryName(directory)!;
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<object?> QueryAsync(string sql)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "retrieval.db"),
            Pooling = false,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}

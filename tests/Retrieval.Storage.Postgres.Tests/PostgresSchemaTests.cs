using Npgsql;
using Retrieval.Core.Storage;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>The explicit schema-upgrade step and the schema check on open; each test gets its own empty database.</summary>
public sealed class PostgresSchemaTests
{
    [PostgresFact]
    public async Task OpenAsync_UnmigratedDatabase_ThrowsStoreSchemaExceptionNamingMigrate()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);

        var error = await Assert.ThrowsAsync<StoreSchemaException>(() => store.OpenAsync(CancellationToken.None));

        Assert.Contains("retrieval db migrate", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task UpgradeAsync_RunTwice_AppliesEachUpgradeOnceAndOpens()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);

        var first = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        var second = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(PostgresSchema.CurrentVersion, first[^1].Version);
        Assert.Empty(second);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        await store.OpenAsync(CancellationToken.None);
        Assert.Equal("postgres", store.Kind);
    }

    [PostgresFact]
    public async Task UpgradeAsync_Concurrently_AppliesEachUpgradeOnce()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None)));

        Assert.Equal(PostgresSchema.UpgradeCount, runs.Sum(applied => applied.Count));
    }

    [PostgresFact]
    public async Task OpenAsync_NewerSchema_ThrowsStoreSchemaException()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("INSERT INTO schema_version (version, name) VALUES (999, 'future');", connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        var error = await Assert.ThrowsAsync<StoreSchemaException>(() => store.OpenAsync(CancellationToken.None));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }
}

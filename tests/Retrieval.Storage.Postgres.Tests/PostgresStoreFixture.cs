using Retrieval.Core.Storage;
using Retrieval.Storage.Conformance;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>One fresh, migrated database per test class, dropped afterwards.</summary>
public sealed class PostgresStoreFixture : IStoreFixture, IAsyncLifetime
{
    private TestDatabase? database;

    public async Task InitializeAsync()
    {
        // Skipped classes still get their fixture built: without a server there is nothing to create, and a
        // test that does run (CI) fails in OpenStoreAsync with the environment's explanation.
        if (PostgresTestEnvironment.ConnectionString is null)
        {
            return;
        }

        database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
    }

    public async Task<IRetrievalStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        PostgresTestEnvironment.RequireConnectionString();
        var store = new PostgresRetrievalStore(database!.ConnectionString);
        await store.OpenAsync(cancellationToken);
        return store;
    }

    public async Task DisposeAsync()
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

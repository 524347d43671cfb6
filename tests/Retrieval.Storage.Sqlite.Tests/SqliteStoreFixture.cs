using Retrieval.Core.Storage;
using Retrieval.Storage.Conformance;

namespace Retrieval.Storage.Sqlite.Tests;

/// <summary>One temporary data directory per test class, removed afterwards.</summary>
public sealed class SqliteStoreFixture : IStoreFixture, IDisposable
{
    public string DataDirectory { get; } =
        Path.Combine(Path.GetTempPath(), "retrieval-sqlite-tests", Guid.NewGuid().ToString("N"));

    public async Task<IRetrievalStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        var store = new SqliteRetrievalStore(DataDirectory);
        await store.OpenAsync(cancellationToken);
        return store;
    }

    public void Dispose()
    {
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}

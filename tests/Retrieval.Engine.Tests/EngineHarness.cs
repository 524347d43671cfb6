using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Engine.Tests;

/// <summary>An engine on a real embedded SQLite store in a temporary directory; reopen simulates a restart.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(string directory, RetrievalEngine engine)
    {
        Directory = directory;
        Engine = engine;
    }

    public string Directory { get; }

    public RetrievalEngine Engine { get; private set; }

    public static async Task<EngineHarness> StartAsync(EngineOptions? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
        return new EngineHarness(directory, await OpenAsync(directory, options));
    }

    public async Task ReopenAsync()
    {
        await Engine.DisposeAsync();
        Engine = await OpenAsync(Directory, null);
    }

    public static SpaceDefinition Space(string name, int dimension, Metric metric = Metric.InnerProduct) =>
        new(name, dimension, metric, new ModelRef("test", "1"));

    public static ItemWrite Item(string id, string space, float[] vector, string? payload = null) =>
        new(id, payload, new Dictionary<string, float[]> { [space] = vector });

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static async Task<RetrievalEngine> OpenAsync(string directory, EngineOptions? options)
    {
        var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), options ?? new EngineOptions(), NullLogger<RetrievalEngine>.Instance);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }
}

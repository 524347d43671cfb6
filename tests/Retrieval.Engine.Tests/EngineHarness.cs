using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Engine.Tests;

/// <summary>An engine on a real embedded SQLite store in a temporary directory; reopen simulates a restart.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly EngineOptions? _options;
    private readonly Func<string, IndexingOptions>? _indexing;
    private readonly ILogger<RetrievalEngine> _logger;

    private EngineHarness(string directory, RetrievalEngine engine, EngineOptions? options, Func<string, IndexingOptions>? indexing, ILogger<RetrievalEngine> logger)
    {
        Directory = directory;
        Engine = engine;
        _options = options;
        _indexing = indexing;
        _logger = logger;
    }

    public string Directory { get; }

    public RetrievalEngine Engine { get; private set; }

    public static async Task<EngineHarness> StartAsync(EngineOptions? options = null) => await StartAsync(options, null, null);

    /// <summary>An engine with indexing options made from the harness directory (for snapshot paths) and an optional logger.</summary>
    public static async Task<EngineHarness> StartAsync(EngineOptions? options, Func<string, IndexingOptions>? indexing, ILogger<RetrievalEngine>? logger)
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
        logger ??= NullLogger<RetrievalEngine>.Instance;
        return new EngineHarness(directory, await OpenAsync(directory, options, indexing?.Invoke(directory), logger), options, indexing, logger);
    }

    public async Task ReopenAsync()
    {
        await Engine.DisposeAsync();
        Engine = await OpenAsync(Directory, _options, _indexing?.Invoke(Directory), _logger);
    }

    public static SpaceDefinition Space(string name, int dimension, Metric metric = Metric.InnerProduct, string? index = null) =>
        new(name, dimension, metric, new ModelRef("test", "1"), Index: index);

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

    private static async Task<RetrievalEngine> OpenAsync(string directory, EngineOptions? options, IndexingOptions? indexing, ILogger<RetrievalEngine> logger)
    {
        var engine = new RetrievalEngine(new SqliteRetrievalStore(directory), options ?? new EngineOptions(), logger, indexing);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }
}

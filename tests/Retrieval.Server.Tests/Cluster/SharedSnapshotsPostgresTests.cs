using Microsoft.Extensions.Logging;
using Npgsql;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Backups;
using Retrieval.Engine.Indexes;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;

namespace Retrieval.Server.Tests.Cluster;

/// <summary>
/// Shard snapshots kept in PostgreSQL (<c>Retrieval:Indexing:SnapshotLocation=Store</c>): a node with an empty snapshot
/// directory loads the snapshots another node wrote; a damaged one is ignored for that shard alone, which is rebuilt from
/// the rows; and they go with their collection. Needs <c>RETRIEVAL_TEST_POSTGRES</c>.
/// </summary>
public sealed class SharedSnapshotsPostgresTests : IAsyncLifetime
{
    private const int Shards = 3;
    private const int Dimension = 8;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-shared-snapshots", Guid.NewGuid().ToString("N"));
    private readonly List<RetrievalEngine> _engines = [];
    private TestDatabase? _database;

    public async Task InitializeAsync()
    {
        if (PostgresTestEnvironment.SkipReason is null)
        {
            _database = await TestDatabase.CreateAsync(CancellationToken.None);
            await PostgresSchema.UpgradeAsync(_database.ConnectionString, CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [SkippableFact]
    public async Task ANodeWithAnEmptySnapshotDirectory_LoadsTheSnapshotsAnotherNodeWrote()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync("a", new LogLines());
        var queries = await FillAndSnapshotAsync(a);
        // After the snapshots: only the rows hold these.
        await a.UpsertAsync("c", [Item("late", Vector(10_000))], CancellationToken.None);
        await a.DeleteAsync("c", ["i5"], CancellationToken.None);
        var expected = queries.Select(q => Ids(a, q)).ToList();

        var log = new LogLines();
        var b = await StartAsync("b", log);

        for (var shard = 0; shard < Shards; shard++)
        {
            Assert.Contains(log.Lines, l => l.Contains($"Collection c shard {shard}: snapshot loaded", StringComparison.Ordinal));
        }

        Assert.Equal(a.GetSpaceIndexStatus("c", "v").IndexedVectors, b.GetSpaceIndexStatus("c", "v").IndexedVectors);
        Assert.Equal(expected, queries.Select(q => Ids(b, q)).ToList());
        Assert.Empty(b.GetItems("c", ["i5"], withVectors: false));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_directory, "b"), "*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public async Task ADamagedSnapshotInTheStore_IsIgnoredForItsShardOnly()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync("a", new LogLines());
        var queries = await FillAndSnapshotAsync(a);
        var expected = queries.Select(q => ExactIds(a, q)).ToList();
        await ExecuteAsync("UPDATE shard_snapshot_chunks SET data = set_byte(data, 200, get_byte(data, 200) # 255) WHERE shard = 1 AND chunk = 0;");

        var log = new LogLines();
        var b = await StartAsync("b", log);

        Assert.Contains(log.Lines, l => l.Contains("Collection c shard 1: snapshot not used (corrupt: checksum mismatch)", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Collection c shard 0: snapshot loaded", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Collection c shard 2: snapshot loaded", StringComparison.Ordinal));
        Assert.Equal(expected, queries.Select(q => ExactIds(b, q)).ToList());
        Assert.Equal(a.Count("c", null), b.Count("c", null));
    }

    [SkippableFact]
    public async Task ACollectionSnapshot_TakesTheIndexFilesFromTheStore_AndARestorePutsThemBack()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var log = new LogLines();
        var a = await StartAsync("a", log);
        var queries = await FillAndSnapshotAsync(a);
        var expected = queries.Select(q => Ids(a, q)).ToList();

        var snapshot = await a.CreateSnapshotAsync("c", null, CancellationToken.None);
        Assert.Equal(Shards, snapshot.Counts.IndexFiles);
        await a.RestoreSnapshotAsync("c", snapshot.Name, "c2", overwrite: false, CancellationToken.None);

        for (var shard = 0; shard < Shards; shard++)
        {
            Assert.Contains(log.Lines, l => l.Contains($"Collection c2 shard {shard}: snapshot loaded", StringComparison.Ordinal));
        }

        Assert.Equal(2 * Shards, await CountAsync("SELECT count(*) FROM shard_snapshots;"));
        Assert.Equal(expected, queries.Select(q => Ids(a, q, "c2")).ToList());
        Assert.Equal(a.GetSpaceIndexStatus("c", "v").IndexedVectors, a.GetSpaceIndexStatus("c2", "v").IndexedVectors);
    }

    [SkippableFact]
    public async Task DeletingTheCollection_DeletesItsSnapshotsInTheStore()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        var a = await StartAsync("a", new LogLines());
        await FillAndSnapshotAsync(a);
        Assert.Equal(Shards, await CountAsync("SELECT count(*) FROM shard_snapshots;"));

        await a.DeleteCollectionAsync("c", CancellationToken.None);

        Assert.Equal(0, await CountAsync("SELECT count(*) FROM shard_snapshots;"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM shard_snapshot_chunks;"));
    }

    private async Task<List<float[]>> FillAndSnapshotAsync(RetrievalEngine engine)
    {
        await engine.CreateCollectionAsync(
            "c", [new SpaceDefinition("v", Dimension, Metric.L2, new ModelRef("test", "1"), Index: "HNSW16")], null, storeInputs: false, Shards, CancellationToken.None);
        for (var batch = 0; batch < 3; batch++)
        {
            await engine.UpsertAsync("c", Enumerable.Range(batch * 300, 300).Select(i => Item($"i{i}", Vector(i))).ToList(), CancellationToken.None);
        }

        engine.RunOptimizerUntilIdle(CancellationToken.None);
        Assert.Equal(Shards, await CountAsync("SELECT count(*) FROM shard_snapshots;"));
        return Enumerable.Range(0, 10).Select(q => Vector(50_000 + q)).ToList();
    }

    private async Task<RetrievalEngine> StartAsync(string node, LogLines log)
    {
        var indexing = new IndexingOptions
        {
            SealThreshold = 100,
            MaxSealedSegments = 3,
            BackgroundOptimizer = false,
            SnapshotAtShutdown = false,
            SnapshotDirectory = Path.Combine(_directory, node),
            SnapshotLocation = SnapshotLocation.Store,
        };
        var engine = new RetrievalEngine(
            new PostgresRetrievalStore(_database!.ConnectionString), new EngineOptions(), log, indexing, backups: new BackupOptions { Directory = Path.Combine(_directory, node + "-backups") });
        _engines.Add(engine);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static List<string> Ids(RetrievalEngine engine, float[] query, string collection = "c") =>
        engine.Search(collection, new SearchQuery("v", query, 10)).Select(h => h.Id).ToList();

    private static List<string> ExactIds(RetrievalEngine engine, float[] query) =>
        engine.Search("c", new SearchQuery("v", query, 10, Exact: true)).Select(h => h.Id).ToList();

    private static ItemWrite Item(string id, float[] vector) => new(id, null, new Dictionary<string, float[]> { ["v"] = vector });

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed class LogLines : ILogger<RetrievalEngine>
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}

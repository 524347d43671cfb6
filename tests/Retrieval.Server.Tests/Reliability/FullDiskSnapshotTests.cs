using Microsoft.Extensions.Logging;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Indexes;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Storage.Sqlite;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// An index snapshot that cannot be written because its disk is full (a real tmpfs filled to ENOSPC) leaves the
/// previous snapshot as it was, leaves no partial file behind, and the engine goes on: it restarts from the previous
/// snapshot plus the store, and writes a new snapshot once space is freed.
/// </summary>
public sealed class FullDiskSnapshotTests
{
    private const int Dimension = 32;

    [SkippableFact]
    public async Task SnapshotOnAFullDisk_LeavesThePreviousOneIntact_AndTheNextOneIsWrittenOnceSpaceIsFreed()
    {
        Skip.If(TmpfsMount.UnavailableReason is not null, TmpfsMount.UnavailableReason);
        var storeDirectory = Directory.CreateTempSubdirectory("retrieval-fulldisk-store-").FullName;
        using var snapshots = TmpfsMount.Create(4 << 20);
        var logger = new SnapshotLog();
        var indexing = new IndexingOptions { SealThreshold = 200, BackgroundOptimizer = false, BuildThreads = 1, SnapshotDirectory = snapshots.Path };
        try
        {
            var snapshot = Path.Combine(snapshots.Path, "c", "shard-0.snapshot");
            byte[] first;
            var engine = await StartAsync(storeDirectory, indexing, logger);
            try
            {
                await engine.CreateCollectionAsync("c", [new SpaceDefinition("v", Dimension, Metric.L2, new ModelRef("m", "1"), Index: "HNSW16")], null, CancellationToken.None);
                await engine.UpsertAsync("c", Items(0, 300), CancellationToken.None);
                engine.RunOptimizerUntilIdle(CancellationToken.None);
                first = await File.ReadAllBytesAsync(snapshot);

                // Fill the snapshot disk, then make the optimizer seal, build and try to write the next snapshot.
                snapshots.AddBallast(leaveFree: 8 * 1024);
                await engine.UpsertAsync("c", Items(300, 300), CancellationToken.None);
                engine.RunOptimizerUntilIdle(CancellationToken.None);

                Assert.Contains(logger.Failures, f => f.Contains("No space left on device", StringComparison.OrdinalIgnoreCase));
                Assert.Equal(first, await File.ReadAllBytesAsync(snapshot));
                Assert.Empty(Directory.EnumerateFiles(snapshots.Path, "*.tmp", SearchOption.AllDirectories));
            }
            finally
            {
                // Shutdown snapshots fail the same way (the disk is still full).
                await engine.DisposeAsync();
            }

            Assert.Equal(first, await File.ReadAllBytesAsync(snapshot));
            Assert.Empty(Directory.EnumerateFiles(snapshots.Path, "*.tmp", SearchOption.AllDirectories));

            // The previous snapshot is used (not rebuilt from scratch) and the store supplies the rest.
            logger.Clear();
            engine = await StartAsync(storeDirectory, indexing, logger);
            try
            {
                Assert.Contains(logger.Lines, l => l.Contains("snapshot loaded", StringComparison.Ordinal));
                Assert.DoesNotContain(logger.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal));
                Assert.Equal(600, engine.GetCollection("c").ItemCount);
                Assert.Equal("i450", engine.Search("c", new SearchQuery("v", Vector(450), 1)).Single().Id);

                snapshots.RemoveBallast();
                await engine.UpsertAsync("c", Items(600, 1), CancellationToken.None);
            }
            finally
            {
                await engine.DisposeAsync();
            }

            // Space freed: the shutdown snapshot is written, and the next start loads it whole.
            Assert.NotEqual(first, await File.ReadAllBytesAsync(snapshot));
            logger.Clear();
            engine = await StartAsync(storeDirectory, indexing, logger);
            try
            {
                Assert.Contains(logger.Lines, l => l.Contains("snapshot loaded", StringComparison.Ordinal) && l.Contains("601 items", StringComparison.Ordinal));
                Assert.Equal(601, engine.GetCollection("c").ItemCount);
            }
            finally
            {
                await engine.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(storeDirectory, recursive: true);
        }
    }

    private static async Task<RetrievalEngine> StartAsync(string storeDirectory, IndexingOptions indexing, ILogger<RetrievalEngine> logger)
    {
        var engine = new RetrievalEngine(new SqliteRetrievalStore(storeDirectory), new EngineOptions(), logger, indexing);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private static List<ItemWrite> Items(int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i => new ItemWrite($"i{i}", null, new Dictionary<string, float[]> { ["v"] = Vector(i) }))];

    private static float[] Vector(int i) => [.. Enumerable.Range(0, Dimension).Select(d => MathF.Sin((i * 31) + d))];

    /// <summary>The engine's log lines, and the snapshot write failures with their exception messages.</summary>
    private sealed class SnapshotLog : ILogger<RetrievalEngine>
    {
        private readonly List<string> _lines = [];
        private readonly List<string> _failures = [];

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

        public IReadOnlyList<string> Failures
        {
            get
            {
                lock (_lines)
                {
                    return [.. _failures];
                }
            }
        }

        public void Clear()
        {
            lock (_lines)
            {
                _lines.Clear();
                _failures.Clear();
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
                if (exception is not null)
                {
                    _failures.Add(exception.Message);
                }
            }
        }
    }
}

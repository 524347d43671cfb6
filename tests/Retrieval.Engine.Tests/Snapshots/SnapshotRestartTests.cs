using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Tests.Segments;
using Retrieval.TestData;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Snapshots;

/// <summary>Restart from a snapshot plus the store's later changes; missing and corrupt snapshots rebuild from the store.</summary>
public sealed class SnapshotRestartTests
{
    [Fact]
    public void SnapshotLocationStore_OnAStoreThatKeepsNoSnapshots_IsRefusedNamingTheSetting()
    {
        var directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var indexing = new IndexingOptions { SnapshotDirectory = Path.Combine(directory, "snapshots"), SnapshotLocation = SnapshotLocation.Store };
            var error = Assert.Throws<ArgumentException>(() =>
                new RetrievalEngine(new Storage.Sqlite.SqliteRetrievalStore(directory), new EngineOptions(), new ListLogger(), indexing));
            Assert.Contains("Retrieval:Indexing:SnapshotLocation", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Reopen_WithSnapshot_LoadsIndexedSegmentsAndReplaysLaterWrites()
    {
        var log = new ListLogger();
        await using var harness = await StartAsync(null, WithoutShutdownSnapshot, log);
        var data = new ClusteredData(1500, 20, 16, 10, seed: 21, normalize: false, spread: 0.2f);
        await SegmentedSearchTests.Fill(harness, data, Metric.Cosine, "HNSW16");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var indexed = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.True(File.Exists(SnapshotPath(harness)));

        // Changes after the snapshot: only the store has them (the shutdown snapshot is off, as after a crash).
        await harness.Engine.UpsertAsync("c", [Item("late", "v", data.Query(0)), Item("i1", "v", data.Query(1))], CancellationToken.None);
        await harness.Engine.DeleteAsync("c", ["i2"], CancellationToken.None);
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine, data.Query(q))).ToList();

        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("snapshot loaded", StringComparison.Ordinal));
        var reloaded = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.Equal(indexed.Segments.Select(s => s.Id), reloaded.Segments.Select(s => s.Id));
        Assert.Equal(indexed.IndexedVectors - 2, reloaded.IndexedVectors);
        Assert.Equal(data.Count, harness.Engine.Count("c", null));
        Assert.Empty(harness.Engine.GetItems("c", ["i2"], withVectors: false));
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine, data.Query(q))).ToList());
        Assert.Equal("late", harness.Engine.Search("c", new SearchQuery("v", data.Query(0), 1))[0].Id);
    }

    [Fact]
    public async Task Reopen_WithoutSnapshot_RebuildsFromTheStore()
    {
        var log = new ListLogger();
        await using var harness = await StartAsync(null, WithoutShutdownSnapshot, log);
        var data = new ClusteredData(1200, 10, 16, 10, seed: 22, normalize: false, spread: 0.2f);
        await SegmentedSearchTests.Fill(harness, data, Metric.L2, "IVF8,Flat");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => ExactIds(harness.Engine, data.Query(q))).ToList();
        File.Delete(SnapshotPath(harness));

        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("snapshot not used (missing)", StringComparison.Ordinal));
        Assert.Equal(data.Count, harness.Engine.GetSpaceIndexStatus("c", "v").AppendableVectors);
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => ExactIds(harness.Engine, data.Query(q))).ToList());
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        Assert.Equal(data.Count, harness.Engine.GetSpaceIndexStatus("c", "v").IndexedVectors);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public async Task Reopen_WithCorruptSnapshot_RebuildsFromTheStoreAndSaysWhy(string damage)
    {
        var log = new ListLogger();
        await using var harness = await StartAsync(null, WithoutShutdownSnapshot, log);
        var data = new ClusteredData(1200, 10, 16, 10, seed: 23, normalize: false, spread: 0.2f);
        await SegmentedSearchTests.Fill(harness, data, Metric.InnerProduct, "HNSW8,SQ8");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => ExactIds(harness.Engine, data.Query(q))).ToList();
        var path = SnapshotPath(harness);
        var bytes = await File.ReadAllBytesAsync(path);
        if (damage == "flip")
        {
            bytes[bytes.Length / 2] ^= 0x40;
        }
        else
        {
            Array.Resize(ref bytes, bytes.Length - 100);
        }

        await File.WriteAllBytesAsync(path, bytes);
        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("snapshot not used (corrupt:", StringComparison.Ordinal));
        Assert.Empty(harness.Engine.GetSpaceIndexStatus("c", "v").Segments);
        Assert.Equal(data.Count, harness.Engine.Count("c", null));
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => ExactIds(harness.Engine, data.Query(q))).ToList());
    }

    [Fact]
    public async Task Reopen_AfterSpaceAdded_TreatsSnapshotAsStale()
    {
        var log = new ListLogger();
        await using var harness = await StartAsync(null, WithoutShutdownSnapshot, log);
        var data = new ClusteredData(600, 1, 8, 5, seed: 24, normalize: false, spread: 0.2f);
        await SegmentedSearchTests.Fill(harness, data, Metric.L2, "HNSW8");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        await harness.Engine.AddSpaceAsync("c", Space("w", 4), CancellationToken.None);

        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("snapshot not used (stale: the collection's spaces changed", StringComparison.Ordinal));
        Assert.Equal(data.Count, harness.Engine.Count("c", null));
    }

    [Fact]
    public async Task Reopen_AfterCleanShutdown_LoadsTheShutdownSnapshotAndReplaysAndBuildsNothing()
    {
        var log = new ListLogger();
        await using var harness = await StartAsync(null, SegmentedSearchTests.Manual, log);
        var data = new ClusteredData(1300, 10, 16, 10, seed: 25, normalize: false, spread: 0.2f);
        await SegmentedSearchTests.Fill(harness, data, Metric.L2, "IVF8,Flat");
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var afterBuild = new FileInfo(SnapshotPath(harness)).LastWriteTimeUtc;

        // Writes after the last build: a sealed row updated, one deleted, one added to the appendable segment.
        await harness.Engine.UpsertAsync("c", [Item("late", "v", data.Query(0)), Item("i1", "v", data.Query(1))], CancellationToken.None);
        await harness.Engine.DeleteAsync("c", ["i2"], CancellationToken.None);
        var before = harness.Engine.GetSpaceIndexStatus("c", "v");
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine, data.Query(q))).ToList();

        await harness.ReopenAsync();

        Assert.Contains(log.Lines, l => l.Contains("Writing snapshots of 1 shards", StringComparison.Ordinal));
        Assert.True(new FileInfo(SnapshotPath(harness)).LastWriteTimeUtc >= afterBuild);
        var written = SequenceIn(log.Lines.Last(l => l.Contains("snapshot written at sequence", StringComparison.Ordinal)));
        Assert.Equal(written, SequenceIn(log.Lines.Last(l => l.Contains("snapshot loaded at sequence", StringComparison.Ordinal))));
        var reopened = log.Lines.Count;
        var after = harness.Engine.GetSpaceIndexStatus("c", "v");
        Assert.Equal(before.Segments.Select(s => (s.Id, s.Vectors)), after.Segments.Select(s => (s.Id, s.Vectors)));
        Assert.Equal(before.IndexedVectors, after.IndexedVectors);
        Assert.Equal(before.AppendableVectors, after.AppendableVectors);
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => Ids(harness.Engine, data.Query(q))).ToList());

        // Nothing to seal or build: the restart rebuilt nothing.
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        Assert.DoesNotContain(log.Lines.Skip(reopened), l => l.Contains(": building ", StringComparison.Ordinal) || l.Contains("sealed segment", StringComparison.Ordinal));

        // An unchanged collection is not written again at the next shutdown.
        var lines = log.Lines.Count;
        await harness.ReopenAsync();
        Assert.DoesNotContain(log.Lines.Skip(lines), l => l.Contains("Writing snapshots", StringComparison.Ordinal));
    }

    private static long SequenceIn(string line) =>
        long.Parse(line.Split("at sequence ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static IndexingOptions WithoutShutdownSnapshot(string directory)
    {
        var options = SegmentedSearchTests.Manual(directory);
        options.SnapshotAtShutdown = false;
        return options;
    }

    private static string SnapshotPath(EngineHarness harness) => Path.Combine(harness.Directory, "snapshots", "c", "shard-0.snapshot");

    private static List<string> Ids(RetrievalEngine engine, float[] query) =>
        [.. engine.Search("c", new SearchQuery("v", query, 10)).Select(h => h.Id)];

    private static List<string> ExactIds(RetrievalEngine engine, float[] query) =>
        [.. engine.Search("c", new SearchQuery("v", query, 10, Exact: true)).Select(h => h.Id)];
}

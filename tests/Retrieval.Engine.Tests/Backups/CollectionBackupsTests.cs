using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Backups;
using Retrieval.Engine.Tests.Segments;
using Retrieval.Storage.Sqlite;
using Retrieval.TestData;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Backups;

/// <summary>
/// Collection snapshots through the engine on SQLite: the shard index files travel with the rows and are used on
/// restore (with the rows after them replayed, deletes included), the same collection is replaced only when asked,
/// and a damaged archive is refused before anything changes.
/// </summary>
public sealed class CollectionBackupsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-backups-tests", Guid.NewGuid().ToString("N"));
    private readonly ListLogger _log = new();
    private RetrievalEngine _engine = null!;

    public async Task InitializeAsync() => _engine = await OpenAsync();

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Restore_IntoNewName_UsesTheIndexFilesAndReplaysTheRowsAfterThem()
    {
        var data = new ClusteredData(900, 10, 16, 10, seed: 41, normalize: false, spread: 0.2f);
        await FillAsync(data);
        _engine.RunOptimizerUntilIdle(CancellationToken.None);
        // After the shard snapshot the optimizer wrote: only the rows hold these, the delete as a tombstone.
        await _engine.UpsertAsync("c", [Item("late", "v", data.Query(0), """{"late":true}""")], CancellationToken.None);
        await _engine.DeleteAsync("c", ["i2"], CancellationToken.None);
        var expected = Enumerable.Range(0, data.QueryCount).Select(q => ExactIds("c", data.Query(q))).ToList();

        var snapshot = await _engine.CreateSnapshotAsync("c", null, CancellationToken.None);
        Assert.Equal(1, snapshot.Counts.IndexFiles);
        Assert.Equal(data.Count, snapshot.Counts.Items);
        Assert.Equal(1, snapshot.Counts.Tombstones);
        Assert.Equal("sqlite", snapshot.StoreKind);
        await _engine.UpsertAsync("c", [Item("after", "v", data.Query(1))], CancellationToken.None);

        var (restored, from) = await _engine.RestoreSnapshotAsync("c", snapshot.Name, "c2", overwrite: false, CancellationToken.None);
        Assert.Equal(snapshot.ContentSha256, from.ContentSha256);
        Assert.Equal(data.Count, restored.ItemCount);
        Assert.Contains(_log.Lines, l => l.Contains("Collection c2 shard 0: snapshot loaded", StringComparison.Ordinal));
        Assert.Equal(_engine.GetSpaceIndexStatus("c", "v").Segments.Count, _engine.GetSpaceIndexStatus("c2", "v").Segments.Count);
        Assert.Empty(_engine.GetItems("c2", ["i2", "after"], withVectors: false));
        Assert.Equal("""{"late":true}""", _engine.GetItems("c2", ["late"], withVectors: false).Single().PayloadJson);
        Assert.Equal(expected, Enumerable.Range(0, data.QueryCount).Select(q => ExactIds("c2", data.Query(q))).ToList());
        Assert.Equal(_engine.GetSpaceIndexStatus("c", "v").IndexedVectors, _engine.GetSpaceIndexStatus("c2", "v").IndexedVectors);

        // The restored collection is in the store: it is there after a restart.
        await _engine.DisposeAsync();
        _engine = await OpenAsync();
        Assert.Equal(data.Count, _engine.Count("c2", null));
    }

    [Fact]
    public async Task Restore_OverTheSameCollection_OnlyWithOverwrite()
    {
        var data = new ClusteredData(200, 4, 8, 4, seed: 42, normalize: false, spread: 0.2f);
        await FillAsync(data);
        var snapshot = await _engine.CreateSnapshotAsync("c", "before", CancellationToken.None);
        await _engine.UpsertAsync("c", [Item("after", "v", data.Query(0))], CancellationToken.None);

        var refused = await Assert.ThrowsAsync<RetrievalException>(() => _engine.RestoreSnapshotAsync("c", "before", null, overwrite: false, CancellationToken.None));
        Assert.Equal(ErrorKind.AlreadyExists, refused.Kind);
        Assert.Equal(data.Count + 1, _engine.Count("c", null));

        var (restored, _) = await _engine.RestoreSnapshotAsync("c", "before", null, overwrite: true, CancellationToken.None);
        Assert.Equal(data.Count, restored.ItemCount);
        Assert.Empty(_engine.GetItems("c", ["after"], withVectors: false));
        // Writes go on against the restored collection, after its sequence.
        var write = await _engine.UpsertAsync("c", [Item("next", "v", data.Query(1))], CancellationToken.None);
        Assert.Equal(snapshot.Sequence + 1, write.Sequence);
        Assert.Equal(["before"], (await _engine.ListSnapshotsAsync("c", CancellationToken.None)).Select(s => s.Name));
    }

    [Fact]
    public async Task Restore_AfterTheCollectionWasDeleted_BringsItBackUnderItsName()
    {
        var data = new ClusteredData(100, 2, 8, 2, seed: 45, normalize: false, spread: 0.2f);
        await FillAsync(data);
        await _engine.CreateSnapshotAsync("c", "last", CancellationToken.None);
        await _engine.DeleteCollectionAsync("c", CancellationToken.None);

        Assert.Equal(["last"], (await _engine.ListSnapshotsAsync("c", CancellationToken.None)).Select(s => s.Name));
        var (restored, _) = await _engine.RestoreSnapshotAsync("c", "last", null, overwrite: false, CancellationToken.None);
        Assert.Equal(data.Count, restored.ItemCount);
        Assert.Equal("""{"n":7}""", _engine.GetItems("c", ["i7"], withVectors: false).Single().PayloadJson);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public async Task Restore_DamagedArchive_IsRefusedAndChangesNothing(string damage)
    {
        var data = new ClusteredData(200, 4, 8, 4, seed: 43, normalize: false, spread: 0.2f);
        await FillAsync(data);
        var snapshot = await _engine.CreateSnapshotAsync("c", "good", CancellationToken.None);
        byte[] archive;
        await using (var stream = _engine.OpenSnapshot("c", "good"))
        using (var copy = new MemoryStream())
        {
            await stream.CopyToAsync(copy);
            archive = copy.ToArray();
        }

        Assert.Equal(snapshot.SizeBytes, archive.Length);
        var damaged = damage == "flip" ? Flip(archive) : archive[..(archive.Length * 2 / 3)];

        var uploaded = await Assert.ThrowsAsync<RetrievalException>(
            () => _engine.RestoreSnapshotAsync(new MemoryStream(damaged), "copy", overwrite: false, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidArgument, uploaded.Kind);
        Assert.Equal("archive", uploaded.Path?.ToString());
        Assert.DoesNotContain(_engine.ListCollections(), c => c.Definition.Name == "copy");

        await File.WriteAllBytesAsync(Path.Combine(_directory, "backups", "c", "good.tar"), damaged);
        var stored = await Assert.ThrowsAsync<RetrievalException>(() => _engine.RestoreSnapshotAsync("c", "good", null, overwrite: true, CancellationToken.None));
        Assert.Equal(ErrorKind.FailedPrecondition, stored.Kind);
        Assert.Equal(data.Count, _engine.Count("c", null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_directory, "backups", ".work")));
    }

    [Fact]
    public async Task Start_AfterAnInterruptedSnapshot_RemovesItsWorkFolderAndKeepsTheSnapshots()
    {
        var data = new ClusteredData(50, 2, 8, 2, seed: 44, normalize: false, spread: 0.2f);
        await FillAsync(data);
        await _engine.CreateSnapshotAsync("c", "kept", CancellationToken.None);
        var interrupted = Path.Combine(_directory, "backups", ".work", "crashed");
        Directory.CreateDirectory(interrupted);
        await File.WriteAllTextAsync(Path.Combine(interrupted, "changes.jsonl"), "{}");

        await _engine.DisposeAsync();
        _engine = await OpenAsync();

        Assert.False(Directory.Exists(interrupted));
        Assert.Contains(_log.Lines, l => l.Contains("Removed 1 work folders", StringComparison.Ordinal));
        Assert.Equal(["kept"], (await _engine.ListSnapshotsAsync("c", CancellationToken.None)).Select(s => s.Name));
    }

    private static byte[] Flip(byte[] archive)
    {
        var flipped = (byte[])archive.Clone();
        flipped[flipped.Length / 2] ^= 0x01;
        return flipped;
    }

    private async Task FillAsync(ClusteredData data)
    {
        await _engine.CreateCollectionAsync("c", [Space("v", data.Dimension, Metric.L2, "HNSW16")], null, CancellationToken.None);
        for (var start = 0; start < data.Count; start += 300)
        {
            var items = Enumerable.Range(start, Math.Min(300, data.Count - start)).Select(i => Item($"i{i}", "v", data.Row(i), $$"""{"n":{{i}}}""")).ToList();
            await _engine.UpsertAsync("c", items, CancellationToken.None);
        }
    }

    private List<string> ExactIds(string collection, float[] query) =>
        [.. _engine.Search(collection, new SearchQuery("v", query, 10, Exact: true)).Select(h => h.Id)];

    [Fact]
    public async Task Writes_AndARestore_RecordEachIdsShardInTheStore()
    {
        const int shards = 3;
        await _engine.CreateCollectionAsync("sharded", [Space("v", 4)], null, storeInputs: false, shards, CancellationToken.None);
        var items = Enumerable.Range(0, 60).Select(i => Item($"s{i}", "v", [i, 1, 2, 3])).ToList();
        await _engine.UpsertAsync("sharded", items, CancellationToken.None);
        await _engine.DeleteAsync("sharded", ["s1", "s2", "s3"], CancellationToken.None);
        var snapshot = await _engine.CreateSnapshotAsync("sharded", null, CancellationToken.None);
        await _engine.RestoreSnapshotAsync("sharded", snapshot.Name, "restored", overwrite: false, CancellationToken.None);
        await _engine.DisposeAsync();

        await using (var store = new SqliteRetrievalStore(_directory))
        {
            await store.OpenAsync(CancellationToken.None);
            foreach (var collection in new[] { "sharded", "restored" })
            {
                var seen = 0;
                for (var shard = 0; shard < shards; shard++)
                {
                    await foreach (var change in store.ReadShardChangesAsync(collection, shard, 0, CancellationToken.None))
                    {
                        Assert.Equal(ShardAssignment.ShardOf(change.Id, shards), shard);
                        seen++;
                    }
                }

                Assert.Equal(60, seen);
            }
        }

        _engine = await OpenAsync();
    }

    private async Task<RetrievalEngine> OpenAsync()
    {
        var indexing = SegmentedSearchTests.Manual(_directory);
        indexing.SnapshotAtShutdown = false;
        var engine = new RetrievalEngine(
            new SqliteRetrievalStore(_directory), new EngineOptions(), _log, indexing, backups: new BackupOptions { Directory = Path.Combine(_directory, "backups") });
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }
}

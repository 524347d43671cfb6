using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Collection snapshots over REST and gRPC: create, list, download, delete, restore into a new name and over the same
/// collection, uploads, corrupt archives refused without a change, and snapshots taken while writes go on.
/// </summary>
public abstract class SnapshotsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private InProcessServer Server => fixture.Server;

    private Snapshots.SnapshotsClient Snapshots => new(Server.Channel);

    [SkippableFact]
    public async Task Snapshot_ViaRest_CreateListDownloadRestoreIntoNewNameAndDelete()
    {
        var name = await TestCollections.CreateAsync(Server, "snaprest", dimension: 3);
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(0, 30).Select(i => ($"i{i}", new float[] { i, 1, -i })), id => $$"""{"tag":"{{id}}","n":{{id.Length}}}""");
        await Server.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = name, Ids = { "i3" } });

        using var created = await Server.PostJsonAsync($"/v1/collections/{name}/snapshots", """{"name":"first"}""");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        using (var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()))
        {
            Assert.Equal("first", body.RootElement.GetProperty("name").GetString());
            Assert.Equal(29, body.RootElement.GetProperty("items").GetInt64());
            Assert.Equal(1, body.RootElement.GetProperty("tombstones").GetInt64());
            Assert.Equal(2, body.RootElement.GetProperty("sequence").GetInt64());
            Assert.Equal(64, body.RootElement.GetProperty("contentSha256").GetString()!.Length);
        }

        using var listed = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}/snapshots", UriKind.Relative));
        Assert.Contains("\"first\"", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var download = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}/snapshots/first", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/x-tar", download.Content.Headers.ContentType?.MediaType);
        var archive = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(File.ReadAllBytes(ArchivePath(name, "first")), archive);

        var copy = TestNames.Unique("snaprest-copy");
        using var restored = await Server.PostJsonAsync($"/v1/collections/{name}/snapshots/first:restore", $$"""{"target":"{{copy}}"}""");
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        await AssertSameItemsAsync(name, copy);
        Assert.Equal(await SearchIdsAsync(name), await SearchIdsAsync(copy));

        using var deleted = await Server.Rest.DeleteAsync(new Uri($"/v1/collections/{name}/snapshots/first", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Empty((await Snapshots.ListSnapshotsAsync(new ListSnapshotsRequest { Collection = name })).Snapshots);
        using var gone = await Server.Rest.GetAsync(new Uri($"/v1/collections/{name}/snapshots/first", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [SkippableFact]
    public async Task Snapshot_ViaGrpc_DownloadUploadAndRestoreOverTheSameCollection()
    {
        var name = await TestCollections.CreateAsync(Server, "snapgrpc", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", [("a", [1, 0]), ("b", [0, 1])], id => $$"""{"id":"{{id}}"}""");
        var snapshot = await Snapshots.CreateSnapshotAsync(new CreateSnapshotRequest { Collection = name });
        Assert.Equal(2, snapshot.Items);
        Assert.Contains(snapshot.Name, (await Snapshots.ListSnapshotsAsync(new ListSnapshotsRequest { Collection = name })).Snapshots.Select(s => s.Name));

        // Written after the snapshot: a restore over the collection takes them back out.
        await TestCollections.UpsertAsync(Server, name, "v1", [("c", [1, 1])]);
        await Server.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = name, Ids = { "a" } });

        var exists = await Assert.ThrowsAsync<RpcException>(() => Snapshots.RestoreSnapshotAsync(new RestoreSnapshotRequest { Collection = name, Name = snapshot.Name }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, exists.StatusCode);
        Assert.Equal(2, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);

        var replaced = await Snapshots.RestoreSnapshotAsync(new RestoreSnapshotRequest { Collection = name, Name = snapshot.Name, Overwrite = true });
        Assert.Equal(2, replaced.Collection.ItemCount);
        Assert.Equal(["a", "b"], (await ScrollAsync(name)).Select(i => i.Id));

        // Downloaded in chunks and uploaded again under another name (as onto another server).
        var archive = await DownloadAsync(name, snapshot.Name);
        Assert.Equal(snapshot.SizeBytes, archive.Length);
        var copy = TestNames.Unique("snapgrpc-copy");
        var uploaded = await UploadAsync(copy, archive, overwrite: false);
        Assert.Equal(copy, uploaded.Collection.Name);
        Assert.Equal(snapshot.ContentSha256, uploaded.Snapshot.ContentSha256);
        await AssertSameItemsAsync(name, copy);

        var missing = await Assert.ThrowsAsync<RpcException>(() => DownloadAsync(name, "no-such"));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        await Snapshots.DeleteSnapshotAsync(new DeleteSnapshotRequest { Collection = name, Name = snapshot.Name });
        var deletedTwice = await Assert.ThrowsAsync<RpcException>(() => Snapshots.DeleteSnapshotAsync(new DeleteSnapshotRequest { Collection = name, Name = snapshot.Name }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, deletedTwice.StatusCode);
    }

    [SkippableFact]
    public async Task Restore_CorruptOrTruncatedArchive_IsRefusedAndChangesNothing()
    {
        var name = await TestCollections.CreateAsync(Server, "snapbad", dimension: 2);
        await TestCollections.UpsertAsync(Server, name, "v1", Enumerable.Range(0, 50).Select(i => ($"i{i}", new float[] { i, 1 })));
        var snapshot = await Snapshots.CreateSnapshotAsync(new CreateSnapshotRequest { Collection = name, Name = "good" });
        var archive = await DownloadAsync(name, "good");
        var target = TestNames.Unique("snapbad-target");

        var truncated = archive[..(archive.Length / 2)];
        using var refusedRest = await PostArchiveAsync(target, truncated);
        Assert.Equal(HttpStatusCode.BadRequest, refusedRest.StatusCode);
        Assert.Contains("archive", await refusedRest.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var flipped = (byte[])archive.Clone();
        flipped[archive.Length / 2] ^= 0x5A;
        var refusedGrpc = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(target, flipped, overwrite: true));
        Assert.Equal(StatusCode.InvalidArgument, refusedGrpc.StatusCode);
        Assert.Contains("archive", refusedGrpc.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(target, (await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest())).Collections.Select(c => c.Name));

        // A stored snapshot damaged on disk: restoring over the collection is refused before anything changes.
        await File.WriteAllBytesAsync(ArchivePath(name, "good"), flipped);
        await TestCollections.UpsertAsync(Server, name, "v1", [("later", [0, 1])]);
        var refusedStored = await Assert.ThrowsAsync<RpcException>(
            () => Snapshots.RestoreSnapshotAsync(new RestoreSnapshotRequest { Collection = name, Name = snapshot.Name, Overwrite = true }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refusedStored.StatusCode);
        Assert.Contains("corrupt", refusedStored.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(51, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = name })).Count);

        var badName = await Assert.ThrowsAsync<RpcException>(() => Snapshots.CreateSnapshotAsync(new CreateSnapshotRequest { Collection = name, Name = "Bad Name" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badName.StatusCode);
        Assert.Contains("name", badName.Status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Create_WhileWritesGoOn_HoldsEachBatchWhollyOrNotAtAll()
    {
        const int BatchSize = 25;
        var name = await TestCollections.CreateAsync(Server, "snaplive", dimension: 2);
        using var stop = new CancellationTokenSource();
        var sequences = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
        var writer = Task.Run(async () =>
        {
            for (var batch = 0; !stop.IsCancellationRequested && batch < 2000; batch++)
            {
                var b = batch;
                var response = await TestCollections.UpsertAsync(
                    Server, name, "v1", Enumerable.Range(0, BatchSize).Select(i => ($"b{b}-{i}", new float[] { b, i })), _ => $$"""{"batch":{{b}}}""");
                sequences[b] = response.Sequence;
            }
        });

        while (sequences.Count < 5)
        {
            await Task.Delay(10);
        }

        var snapshots = new List<Snapshot>();
        for (var i = 0; i < 3; i++)
        {
            snapshots.Add(await Snapshots.CreateSnapshotAsync(new CreateSnapshotRequest { Collection = name, Name = $"live-{i}" }));
        }

        await stop.CancelAsync();
        await writer;

        foreach (var snapshot in snapshots)
        {
            var copy = TestNames.Unique("snaplive-copy");
            await Snapshots.RestoreSnapshotAsync(new RestoreSnapshotRequest { Collection = name, Name = snapshot.Name, Target = copy });
            var byBatch = (await ScrollAsync(copy)).GroupBy(item => int.Parse(item.Id[1..item.Id.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Count());
            Assert.All(byBatch.Values, count => Assert.Equal(BatchSize, count));
            // Exactly the batches acknowledged at or before the snapshot's sequence.
            var expected = sequences.Where(s => s.Value <= snapshot.Sequence).Select(s => s.Key).Order().ToList();
            Assert.Equal(expected, byBatch.Keys.Order().ToList());
            Assert.Equal(expected.Count * BatchSize, snapshot.Items);
        }
    }

    private string ArchivePath(string collection, string name) =>
        Path.Combine(Server.Configuration.DataDirectory, "backups", collection, name + ".tar");

    private async Task<byte[]> DownloadAsync(string collection, string name)
    {
        using var call = Snapshots.DownloadSnapshot(new DownloadSnapshotRequest { Collection = collection, Name = name });
        using var archive = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunk.Data.WriteTo(archive);
        }

        return archive.ToArray();
    }

    private async Task<RestoreSnapshotResponse> UploadAsync(string collection, byte[] archive, bool overwrite)
    {
        using var call = Snapshots.UploadSnapshot();
        await call.RequestStream.WriteAsync(new UploadSnapshotChunk { Header = new UploadSnapshotHeader { Collection = collection, Overwrite = overwrite } });
        foreach (var chunk in archive.Chunk(64 * 1024))
        {
            await call.RequestStream.WriteAsync(new UploadSnapshotChunk { Data = ByteString.CopyFrom(chunk) });
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private Task<HttpResponseMessage> PostArchiveAsync(string collection, byte[] archive)
    {
        var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return Server.Rest.PostAsync(new Uri($"/v1/collections/{collection}/snapshots:upload", UriKind.Relative), content);
    }

    private async Task<List<Item>> ScrollAsync(string collection, bool withInputs = false)
    {
        var items = new List<Item>();
        var cursor = "";
        do
        {
            var page = await Server.Items.ScrollItemsAsync(new ScrollItemsRequest { Collection = collection, Limit = 1000, Cursor = cursor, WithVectors = true, WithInputs = withInputs });
            items.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor.Length > 0);
        return items;
    }

    private async Task AssertSameItemsAsync(string expected, string actual) =>
        Assert.Equal(await ScrollAsync(expected), await ScrollAsync(actual));

    private async Task<List<string>> SearchIdsAsync(string collection)
    {
        var response = await Server.Search.SearchAsync(new SearchRequest { Collection = collection, Vector = new Vector { Values = { 1, 0.5f, -1 } }, K = 10 });
        return response.Hits.Select(h => $"{h.Id}:{h.Score}").ToList();
    }
}

public sealed class SqliteSnapshotsApiTests(SqliteServerFixture fixture) : SnapshotsApiTests<SqliteServerFixture>(fixture);

public sealed class PostgresSnapshotsApiTests(PostgresServerFixture fixture) : SnapshotsApiTests<PostgresServerFixture>(fixture);

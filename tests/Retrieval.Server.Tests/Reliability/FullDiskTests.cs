using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// A real server process on SQLite whose data directory (store, WAL, index snapshots, encoders) is a size-limited tmpfs:
/// writes go on until the disk is full. A write that does not fit answers RESOURCE_EXHAUSTED with a clear message and
/// leaves nothing (an encoder upload too); reads go on; a stop with a full disk leaves no partial snapshot; the server restarts on the still
/// full disk with every acknowledged write; and writing resumes, without a restart, once space is freed.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private const string Collection = "full";
    private const int Dimension = 64;
    private const int BatchSize = 50;
    private const int DiskBytes = 16 << 20;
    private const int BallastBytes = 2 << 20;
    private static readonly string Filler = new('x', 1500);

    /// <summary>How long writes may still be refused after space is freed (a snapshot being written holds some).</summary>
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task WritesUntilTheDiskIsFull_RefuseResourceExhausted_LoseNothing_AndResumeOnceSpaceIsFreed()
    {
        Skip.If(TmpfsMount.UnavailableReason is not null, TmpfsMount.UnavailableReason);
        using var disk = TmpfsMount.Create(DiskBytes);
        // Space to free later, as an operator would (logs, old backups): taken before the server starts.
        disk.AddBallast(leaveFree: 0, maxBytes: BallastBytes);
        var configuration = new ServerConfiguration("sqlite", null, disk.Path);
        // Seal and index during the fill, so that snapshots are written (and fail) as the disk fills.
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = "1000";
        var acknowledged = new List<int>();
        var refused = new List<int>();
        string? refusal = null;
        var refusedAfterFreeing = 0;
        var resumedAfter = TimeSpan.Zero;
        var fill = Stopwatch.StartNew();

        await using (var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = Collection,
                Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.L2, Model = new ModelRef { Name = "m", Version = "1" }, Index = "HNSW16" } },
            });

            // Until the first refusal, then three more batches: each is acknowledged or refused, nothing else.
            var next = 0;
            for (var batch = 0; refused.Count < 4 * BatchSize && batch < 2000; batch++)
            {
                var ids = Enumerable.Range(next, BatchSize).ToList();
                next += BatchSize;
                try
                {
                    await server.Items.UpsertItemsAsync(Upsert(ids), deadline: DateTime.UtcNow.AddSeconds(30));
                    acknowledged.AddRange(ids);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    refusal ??= e.Status.Detail;
                    refused.AddRange(ids);
                }
                catch (RpcException e)
                {
                    Assert.Fail($"batch {batch} answered {e.StatusCode} {e.Status.Detail}; {server.Diagnostics()}");
                }
            }

            fill.Stop();
            Assert.True(refusal is not null, $"the disk never filled after {acknowledged.Count} items; {disk.FreeBytes} bytes free");
            Assert.Contains("no space left", refusal, StringComparison.Ordinal);
            Assert.Contains("not committed", refusal, StringComparison.Ordinal);

            // Reads go on from memory and from the store.
            await AssertAllPresentAsync(server, acknowledged);
            var hits = await server.Search.SearchAsync(new SearchRequest
            {
                Collection = Collection,
                Vector = new Vector { Values = { VectorOf(acknowledged[^1]) } },
                K = 1,
            });
            Assert.Equal($"i{acknowledged[^1]}", hits.Hits[0].Id);

            // The encoder directory is on the same disk: an upload is refused the same way and leaves nothing behind.
            var upload = await Assert.ThrowsAsync<RpcException>(() => server.Encoders.UploadEncoderAsync(EncoderUpload()).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, upload.StatusCode);
            Assert.Contains("no space left", upload.Status.Detail, StringComparison.Ordinal);
            Assert.Empty((await server.Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders);
            Assert.Empty(Directory.Exists(Path.Combine(disk.Path, "encoders"))
                ? Directory.EnumerateFiles(Path.Combine(disk.Path, "encoders"), "*", SearchOption.AllDirectories)
                : []);

            // Stop with the disk still full: shutdown snapshots cannot be written.
            await server.TerminateAsync();
            Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"no exit 30 s after SIGTERM; {server.Diagnostics()}");
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode} after SIGTERM; {server.Diagnostics()}");
        }

        // No snapshot is partial: a failed one left no temporary file, and every snapshot file is complete.
        var snapshots = Directory.EnumerateFiles(Path.Combine(disk.Path, "snapshots"), "*", SearchOption.AllDirectories).ToList();
        Assert.DoesNotContain(snapshots, f => f.EndsWith(".tmp", StringComparison.Ordinal));
        foreach (var file in snapshots)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().EndsWith("RTRVDONE"u8), $"{file} is not a complete snapshot");
        }

        // The same data opens again on the still-full disk: every acknowledged write, none of the refused ones.
        var freeWhenFull = disk.FreeBytes;
        configuration.RenewPorts();
        await using (var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            await AssertAllPresentAsync(server, acknowledged);
            var ghosts = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { refused.Select(n => $"i{n}") } });
            Assert.Empty(ghosts.Items);
            var collection = await server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = Collection });
            Assert.Equal(acknowledged.Count, collection.ItemCount);

            var stillFull = await Assert.ThrowsAsync<RpcException>(() => server.Items.UpsertItemsAsync(Upsert(refused.Take(BatchSize).ToList())).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, stillFull.StatusCode);

            // Space freed: the very same server takes writes again. The optimizer may be writing a snapshot just then
            // (the restart left segments to build), which takes freed space until it completes or fails and removes its
            // temporary file, so a write may still be refused for that long: retried, within a bound.
            disk.RemoveBallast();
            var freed = Stopwatch.StartNew();
            refusedAfterFreeing = await UntilAcknowledgedAsync(() => server.Items.UpsertItemsAsync(Upsert(refused.Take(BatchSize).ToList())).ResponseAsync, server);
            acknowledged.AddRange(refused.Take(BatchSize));
            resumedAfter = freed.Elapsed;
            await AssertAllPresentAsync(server, acknowledged);
            await UntilAcknowledgedAsync(() => server.Encoders.UploadEncoderAsync(EncoderUpload()).ResponseAsync, server);
            Assert.Single((await server.Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders);
        }

        output.WriteLine(
            $"{DiskBytes >> 20} MiB tmpfs ({BallastBytes >> 20} MiB ballast): {acknowledged.Count - BatchSize} items acknowledged in {fill.Elapsed.TotalSeconds:F1} s " +
            $"before the disk filled, {refused.Count / BatchSize} batches refused RESOURCE_EXHAUSTED; {freeWhenFull} bytes free when full; " +
            $"{snapshots.Count} snapshot files complete; after restart on the full disk all acknowledged present, none refused; " +
            $"encoder upload refused alike, none left behind; after freeing the ballast one more batch acknowledged {resumedAfter.TotalSeconds:F1} s later " +
            $"({refusedAfterFreeing} refusals first), then the encoder. Refusal: {refusal}");
    }

    /// <summary>
    /// Retries a write refused RESOURCE_EXHAUSTED until it is acknowledged, for at most <see cref="ResumeBound"/>;
    /// returns how many times it was refused. Any other answer fails the test.
    /// </summary>
    private static async Task<int> UntilAcknowledgedAsync<T>(Func<Task<T>> write, ChildServerProcess server)
    {
        var deadline = DateTime.UtcNow + ResumeBound;
        for (var refusals = 0; ; refusals++)
        {
            try
            {
                await write();
                return refusals;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (RpcException e)
            {
                Assert.Fail($"after freeing space: {e.StatusCode} {e.Status.Detail}; {server.Diagnostics()}");
            }
        }
    }

    private static async Task AssertAllPresentAsync(ChildServerProcess server, List<int> acknowledged)
    {
        foreach (var chunk in acknowledged.Chunk(500))
        {
            var got = await server.Items.GetItemsAsync(
                new GetItemsRequest { Collection = Collection, Ids = { chunk.Select(n => $"i{n}") }, WithVectors = true }, deadline: DateTime.UtcNow.AddSeconds(30));
            var byId = got.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
            foreach (var n in chunk)
            {
                Assert.True(byId.TryGetValue($"i{n}", out var item), $"acknowledged item i{n} is missing; {server.Diagnostics()}");
                Assert.Equal(VectorOf(n), item.Vectors["v1"].Values);
                Assert.Equal(n, (int)item.Payload.Fields["n"].NumberValue);
            }
        }
    }

    private static UploadEncoderRequest EncoderUpload() => new()
    {
        Descriptor_ = new EncoderDescriptor
        {
            Name = "channel-means",
            Version = "1",
            Dimension = TinyImageModel.Dim,
            Metric = Metric.InnerProduct,
            InputKind = InputKind.Image,
            InputName = "pixels",
            OutputName = "means",
            Image = new ImageSettings { Width = TinyImageModel.Size, Height = TinyImageModel.Size, ResizeShorterSide = 0 },
        },
        Model = ByteString.CopyFrom(TinyImageModel.Model()),
    };

    private static UpsertItemsRequest Upsert(IReadOnlyList<int> ids)
    {
        var request = new UpsertItemsRequest { Collection = Collection };
        foreach (var n in ids)
        {
            var item = new Item { Id = $"i{n}", Payload = new Struct { Fields = { ["n"] = Value.ForNumber(n), ["text"] = Value.ForString(Filler) } } };
            item.Vectors.Add("v1", new Vector { Values = { VectorOf(n) } });
            request.Items.Add(item);
        }

        return request;
    }

    private static float[] VectorOf(int n)
    {
        var random = new Random(n);
        return [.. Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5))];
    }
}

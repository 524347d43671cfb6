using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;
using Retrieval.Storage.Postgres;
using Retrieval.Testing;
using Retrieval.Testing.Server;

namespace Retrieval.Cli.Tests;

public sealed class CliCommandTests : IAsyncLifetime
{
    private InProcessServer? _server;
    private string _scratch = "";

    private InProcessServer Server => _server!;

    private string Address => Server.Configuration.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        _scratch = Directory.CreateTempSubdirectory("retrieval-cli-tests").FullName;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            Directory.Delete(_server.Configuration.DataDirectory, recursive: true);
        }

        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task CollectionsCommands_CreateListGetDelete_ChangeTheServer()
    {
        var (created, output) = await CliHarness.RunAsync("collections", "create", "docs", "--space", "v1:3:cosine:minilm:1", "--space", "v2:2:l2", "--server", Address);
        Assert.True(created == 0, output);
        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "docs" });
        Assert.Equal([(Metric.Cosine, 3), (Metric.L2, 2)], collection.Spaces.Select(s => (s.Metric, s.Dimension)));
        Assert.Equal("minilm", collection.Spaces[0].Model.Name);

        var (listed, list) = await CliHarness.RunAsync("collections", "list", "--server", Address);
        Assert.Equal(0, listed);
        Assert.Contains("docs", list, StringComparison.Ordinal);
        await Server.Items.UpsertItemsAsync(new UpsertItemsRequest
        {
            Collection = "docs",
            Items = { new Item { Id = "a", Vectors = { ["v2"] = new Vector { Values = { 1, 2 } } } } },
        });
        var (got, detail) = await CliHarness.RunAsync("collections", "get", "docs", "--server", Address);
        Assert.Equal(0, got);
        Assert.Contains("v2", detail, StringComparison.Ordinal);
        // Each space's memory as the budget counts it: v2 holds one 2-d float32 row, v1 nothing.
        Assert.Contains("8 B", detail, StringComparison.Ordinal);
        Assert.Contains("0 B", detail, StringComparison.Ordinal);

        Assert.Equal(0, (await CliHarness.RunAsync("collections", "delete", "docs", "--server", Address)).ExitCode);
        Assert.Empty((await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest())).Collections);
    }

    [Fact]
    public async Task CollectionsCreateWithIndex_AndSetIndex_ChangeTheSpaceSpec()
    {
        var (created, output) = await CliHarness.RunAsync("collections", "create", "ann", "--space", "v1:4:l2", "--space", "v2:2:ip", "--index", "v1=HNSW16", "--server", Address);
        Assert.True(created == 0, output);
        Assert.Contains("HNSW16", output, StringComparison.Ordinal);
        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "ann" });
        Assert.Equal(["HNSW16", ""], collection.Spaces.Select(s => s.Index));

        var (set, setOutput) = await CliHarness.RunAsync("collections", "set-index", "ann", "v2", "IVF4,Flat", "--server", Address);
        Assert.True(set == 0, setOutput);
        Assert.Contains("IVF4,Flat", setOutput, StringComparison.Ordinal);
        Assert.Equal("IVF4,Flat", (await Server.Collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = "ann", Space = "v2" })).Spec);

        Assert.Equal(0, (await CliHarness.RunAsync("collections", "set-index", "ann", "v1", "none", "--server", Address)).ExitCode);
        collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "ann" });
        Assert.Equal(["", "IVF4,Flat"], collection.Spaces.Select(s => s.Index));

        // A bad spec is the server's INVALID_ARGUMENT naming the field, and changes nothing.
        var (bad, badOutput) = await CliHarness.RunAsync("collections", "set-index", "ann", "v2", "HNSW0", "--server", Address);
        Assert.NotEqual(0, bad);
        Assert.Contains("index", badOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("IVF4,Flat", (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "ann" })).Spaces[1].Index);

        var (unknown, unknownOutput) = await CliHarness.RunAsync("collections", "create", "bad", "--space", "v1:4:l2", "--index", "v9=HNSW16", "--server", Address);
        Assert.NotEqual(0, unknown);
        Assert.Contains("v9=HNSW16", unknownOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_Npy_StreamsEveryRowAndReportsThroughput()
    {
        await CreateAsync("npy", 8);
        var data = Enumerable.Range(0, 2500 * 8).Select(i => (float)Math.Sin(i)).ToArray();
        var path = Path.Combine(_scratch, "vectors.npy");
        using (var file = File.Create(path))
        {
            NpyFile.Write(file, data, 2500, 8);
        }

        var (exitCode, output) = await CliHarness.RunAsync("ingest", "npy", path, "--batch", "300", "--id-prefix", "doc-", "--server", Address);

        Assert.True(exitCode == 0, output);
        Assert.Contains("items/s", output, StringComparison.Ordinal);
        Assert.Equal(2500, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = "npy" })).Count);
        var item = (await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = "npy", Ids = { "doc-1234" }, WithVectors = true })).Items.Single();
        Assert.Equal(data.AsSpan(1234 * 8, 8).ToArray(), item.Vectors["v1"].Values);
    }

    [Fact]
    public async Task Ingest_Fvecs_StreamsEveryRow()
    {
        await CreateAsync("fvecs", 2);
        var path = Path.Combine(_scratch, "vectors.fvecs");
        using (var file = File.Create(path))
        {
            for (var i = 0; i < 10; i++)
            {
                file.Write(BitConverter.GetBytes(2));
                file.Write(BitConverter.GetBytes((float)i));
                file.Write(BitConverter.GetBytes(1f));
            }
        }

        Assert.Equal(0, (await CliHarness.RunAsync("ingest", "fvecs", path, "--server", Address)).ExitCode);
        Assert.Equal(10, (await Server.Items.CountItemsAsync(new CountItemsRequest { Collection = "fvecs" })).Count);
    }

    [Fact]
    public async Task Ingest_Jsonl_KeepsIdsAndPayloads_ThenSearchPrintsHits()
    {
        await CreateAsync("jsonl", 2);
        var path = Path.Combine(_scratch, "items.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"id":"red","payload":{"color":"red"},"vectors":{"v1":{"values":[1,0]}}}""",
            "",
            """{"id":"blue","payload":{"color":"blue"},"vectors":{"v1":{"values":[0,1]}}}""",
        ]);
        Assert.Equal(0, (await CliHarness.RunAsync("ingest", "jsonl", path, "--server", Address)).ExitCode);
        var stored = (await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = "jsonl", Ids = { "blue" } })).Items.Single();
        Assert.Equal("blue", stored.Payload.Fields["color"].StringValue);

        var (exitCode, output) = await CliHarness.RunAsync("search", "jsonl", "--vector", "0.9,0.1", "-k", "1", "--with-payload", "--server", Address);
        Assert.True(exitCode == 0, output);
        Assert.Contains("red", output, StringComparison.Ordinal);
        Assert.DoesNotContain("blue", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_ByItemAndGrouped_PrintsHitsAndGroups()
    {
        await CreateAsync("byitem", 2);
        var upsert = new UpsertItemsRequest { Collection = "byitem" };
        foreach (var (id, x, color) in new[] { ("a1", 1f, "red"), ("a2", 0.9f, "red"), ("b1", 0.8f, "blue"), ("b2", 0.1f, "blue") })
        {
            var item = new Item { Id = id, Payload = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson($$"""{"color":"{{color}}"}""") };
            item.Vectors.Add("v1", new Vector { Values = { x, 0 } });
            upsert.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(upsert);
        var (exitCode, output) = await CliHarness.RunAsync("search", "byitem", "--item", "a1", "-k", "1", "--server", Address);
        Assert.True(exitCode == 0, output);
        Assert.Contains("a2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("a1", output, StringComparison.Ordinal);

        var (grouped, groups) = await CliHarness.RunAsync("search", "byitem", "--vector", "1,0", "-k", "2", "--group-by", "color", "--group-size", "1", "--server", Address);
        Assert.True(grouped == 0, groups);
        Assert.Contains("a1", groups, StringComparison.Ordinal);
        Assert.Contains("b1", groups, StringComparison.Ordinal);
        Assert.DoesNotContain("a2", groups, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AliasesCommands_CreateSwitchListDelete_ChangeTheServer()
    {
        await CreateAsync("blue", 2);
        await CreateAsync("green", 2);
        var (created, output) = await CliHarness.RunAsync("aliases", "create", "live", "blue", "--server", Address);
        Assert.True(created == 0, output);
        Assert.Equal(["live"], (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "live" })).Aliases);
        Assert.Equal(0, (await CliHarness.RunAsync("aliases", "switch", "live", "green", "--server", Address)).ExitCode);
        var (listed, list) = await CliHarness.RunAsync("aliases", "list", "--server", Address);
        Assert.Equal(0, listed);
        Assert.Contains("green", list, StringComparison.Ordinal);
        Assert.Equal("green", (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "live" })).Name);

        var (refused, error) = await CliHarness.RunAsync("aliases", "create", "blue", "green", "--server", Address);
        Assert.Equal(1, refused);
        Assert.Contains("AlreadyExists", error, StringComparison.Ordinal);

        Assert.Equal(0, (await CliHarness.RunAsync("aliases", "delete", "live", "--server", Address)).ExitCode);
        Assert.Empty((await Server.Collections.ListAliasesAsync(new ListAliasesRequest())).Aliases);
    }

    [Fact]
    public async Task SnapshotsCommands_CreateListDownloadRestoreDelete_ChangeTheServer()
    {
        await CreateAsync("photos", 2);
        var item = new Item { Id = "p1" };
        item.Vectors.Add("v1", new Vector { Values = { 1, 0 } });
        await Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = "photos", Items = { item } });

        var (created, output) = await CliHarness.RunAsync("snapshots", "create", "photos", "--name", "nightly", "--server", Address);
        Assert.True(created == 0, output);
        var (listed, list) = await CliHarness.RunAsync("snapshots", "list", "photos", "--server", Address);
        Assert.Equal(0, listed);
        Assert.Contains("nightly", list, StringComparison.Ordinal);

        var archive = Path.Combine(_scratch, "photos.tar");
        var (downloaded, download) = await CliHarness.RunAsync("snapshots", "download", "photos", "nightly", "--output", archive, "--server", Address);
        Assert.True(downloaded == 0, download);
        Assert.True(new FileInfo(archive).Length > 0);

        var (restored, restore) = await CliHarness.RunAsync("snapshots", "restore", "photos", "nightly", "--target", "photos-copy", "--server", Address);
        Assert.True(restored == 0, restore);
        Assert.Equal(1, (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "photos-copy" })).ItemCount);
        var (uploaded, upload) = await CliHarness.RunAsync("snapshots", "restore", "photos-upload", "--file", archive, "--server", Address);
        Assert.True(uploaded == 0, upload);
        Assert.Equal(1, (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "photos-upload" })).ItemCount);
        var (refused, error) = await CliHarness.RunAsync("snapshots", "restore", "photos", "nightly", "--server", Address);
        Assert.Equal(1, refused);
        Assert.Contains("AlreadyExists", error, StringComparison.Ordinal);
        var (usage, _) = await CliHarness.RunAsync("snapshots", "restore", "photos", "--server", Address);
        Assert.NotEqual(0, usage);

        Assert.Equal(0, (await CliHarness.RunAsync("snapshots", "delete", "photos", "nightly", "--server", Address)).ExitCode);
        var (_, empty) = await CliHarness.RunAsync("snapshots", "list", "photos", "--server", Address);
        Assert.DoesNotContain("nightly", empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_UnknownCollection_PrintsTheServerErrorAndFails()
    {
        var (exitCode, output) = await CliHarness.RunAsync("search", "missing", "--vector", "1,2", "--server", Address);
        Assert.Equal(1, exitCode);
        Assert.Contains("NotFound", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_MissingFile_IsAUsageError()
    {
        await CreateAsync("nofile", 2);
        var (exitCode, output) = await CliHarness.RunAsync("ingest", "nofile", Path.Combine(_scratch, "absent.npy"), "--server", Address);
        Assert.Equal(2, exitCode);
        Assert.Contains("no such file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterStatus_SingleNodeServer_SaysClusterModeIsOff()
    {
        var (exitCode, output) = await CliHarness.RunAsync("cluster", "status", "--server", Address);

        Assert.True(exitCode == 0, output);
        Assert.Contains("cluster mode is off", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task DbMigrate_AppliesTheSchemaOnce()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        var (first, output) = await CliHarness.RunAsync("db", "migrate", "--connection", database.ConnectionString);
        Assert.True(first == 0, output);
        Assert.Contains($"applied {PostgresSchema.UpgradeCount} schema upgrade", output, StringComparison.Ordinal);
        Assert.Contains("migration anchor statistics", output, StringComparison.Ordinal);
        // Cluster mode's membership tables (Orleans ADO.NET clustering) come with the same step.
        Assert.Contains("cluster membership", output, StringComparison.Ordinal);
        var (second, again) = await CliHarness.RunAsync("db", "migrate", "--connection", database.ConnectionString);
        Assert.Equal(0, second);
        Assert.Contains("applied 0 schema upgrade", again, StringComparison.Ordinal);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        await store.OpenAsync(CancellationToken.None);
    }

    private Task<Collection> CreateAsync(string name, int dimension) =>
        Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces = { new Space { Name = "v1", Dimension = dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
        }).ResponseAsync;
}

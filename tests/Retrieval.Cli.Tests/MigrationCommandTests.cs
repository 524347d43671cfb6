using System.Globalization;
using System.Text;
using Google.Protobuf;
using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Cli.Tests;

/// <summary>
/// <c>retrieval migration …</c> against a real in-process server: the whole lifecycle with client-streamed vectors
/// (plan → fit → evaluate → activate → backfill from a file → status → cutover → retire), and a server-side
/// re-encoding backfill followed by the CLI (plan --encoder → … → backfill → cutover).
/// </summary>
public sealed class MigrationCommandTests : IAsyncLifetime
{
    private const int Dim = 4;
    private const int Items = 60;
    private const int Anchors = 20;

    private InProcessServer? _server;
    private string? _files;

    private InProcessServer Server => _server!;

    private string Address => Server.Configuration.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        _files = Directory.CreateTempSubdirectory("retrieval-cli-migration-").FullName;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            Directory.Delete(_server.Configuration.DataDirectory, recursive: true);
        }

        if (_files is not null)
        {
            Directory.Delete(_files, recursive: true);
        }
    }

    [Fact]
    public async Task ClientBackfill_PlanToRetire_ThroughTheCli()
    {
        var (newVectors, oldVectors) = await CreateVectorCollectionAsync("docs");

        var planned = await RunAsync("migration", "plan", "docs", "--to", "new", "--id", "up", "--kind", "orthogonal", "--seed", "2");
        Assert.Contains("phase planned", planned, StringComparison.Ordinal);
        var fitted = await RunAsync("migration", "fit", "docs", "up");
        Assert.Contains("phase fitted", fitted, StringComparison.Ordinal);
        Assert.Contains("calibration", fitted, StringComparison.Ordinal);

        // Evaluation set: 10 queries embedded by both models, each relevant to the item it was taken from.
        var queries = Enumerable.Range(Anchors, 10).ToArray();
        WriteMatrix("q_new.npy", queries.Select(i => newVectors[i]));
        WriteMatrix("q_old.npy", queries.Select(i => oldVectors[i]));
        WriteInt32Column("relevant.npy", queries);
        var evaluated = await RunAsync("migration", "evaluate", "docs", "up",
            "--new-queries", File("q_new.npy"), "--old-queries", File("q_old.npy"), "--relevant", File("relevant.npy"), "--id-prefix", "i");
        Assert.Contains("phase evaluated", evaluated, StringComparison.Ordinal);
        Assert.Contains("gate", evaluated, StringComparison.Ordinal);

        Assert.Contains("phase active", await RunAsync("migration", "activate", "docs", "up", "--force"), StringComparison.Ordinal);

        // The client streams the new vectors of the non-anchor items from a JSONL file.
        var lines = Enumerable.Range(Anchors, Items - Anchors)
            .Select(i => $"{{\"id\":\"i{i}\",\"vector\":[{string.Join(',', newVectors[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]}}");
        await System.IO.File.WriteAllLinesAsync(File("new.jsonl"), lines);
        var backfilled = await RunAsync("migration", "backfill", "docs", "up", "--vectors", File("new.jsonl"), "--batch", "15");
        Assert.Contains($"backfilled {Items - Anchors} vectors", backfilled, StringComparison.Ordinal);

        var status = await RunAsync("migration", "status", "docs", "up");
        Assert.Contains("phase backfilling", status, StringComparison.Ordinal);
        Assert.Contains("new.jsonl#40", status, StringComparison.Ordinal);
        var list = await RunAsync("migration", "status", "docs");
        Assert.Contains("old → new", list, StringComparison.Ordinal);
        Assert.Contains("backfilling", list, StringComparison.Ordinal);

        Assert.Contains("phase cut_over", await RunAsync("migration", "cutover", "docs", "up"), StringComparison.Ordinal);
        Assert.Equal("new", (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "docs" })).DefaultSpace);
        Assert.Contains("phase retired", await RunAsync("migration", "retire", "docs", "up"), StringComparison.Ordinal);
        Assert.Equal(["new"], (await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = "docs" })).Spaces.Select(s => s.Name));

        // Once retired, status says that the migration ended and shows its figures of that moment, not zeros.
        var ended = await RunAsync("migration", "status", "docs", "up");
        Assert.Contains("progress below is as it was then", ended, StringComparison.Ordinal);
        Assert.Matches($@"items\W+{Items}\W", ended);
        Assert.Contains("% at end", await RunAsync("migration", "status", "docs"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerReencoding_BackfillFollowsTheWorker_ThenCutover()
    {
        await RegisterTextEncoderAsync("cli-v1", seed: 11);
        await RegisterTextEncoderAsync("cli-v2", seed: 23);
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = "texts",
            StoreInputs = true,
            Spaces = { TextSpace("v1", "cli-v1"), TextSpace("v2", "cli-v2") },
        });
        string[] words = ["the", "cat", "dog", "sat", "on", "mat", "bird", "flew", "over", "house", "red", "blue", "car"];
        var upsert = new UpsertItemsRequest { Collection = "texts" };
        for (var i = 0; i < 40; i++)
        {
            var item = new Item { Id = $"t{i:D2}" };
            var text = $"{words[i % words.Length]} {words[(i * 7) % words.Length]} {words[(i * 3) % words.Length]} {words[(i / 3) % words.Length]}";
            item.Inputs.Add("v1", new EncoderInput { Text = text });
            if (i < 15)
            {
                item.Inputs.Add("v2", new EncoderInput { Text = text });
            }

            upsert.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(upsert);

        var planned = await RunAsync("migration", "plan", "texts", "--to", "v2", "--id", "re", "--encoder", "cli-v2");
        Assert.Contains("cli-v2", planned, StringComparison.Ordinal);
        await RunAsync("migration", "fit", "texts", "re");
        await RunAsync("migration", "activate", "texts", "re", "--force");

        // Without --vectors the command starts the backfill and follows the server's worker until it is done.
        var backfill = await RunAsync("migration", "backfill", "texts", "re", "--rate", "500");
        Assert.Contains("phase backfilling", backfill, StringComparison.Ordinal);
        var migration = await Server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = "texts", Id = "re" });
        Assert.Equal((25L, 40L, 0L), (migration.Backfilled, migration.Progress.NativeItems, migration.Progress.LeftForClientItems));
        Assert.Contains("left for the client", await RunAsync("migration", "status", "texts", "re"), StringComparison.Ordinal);

        Assert.Contains("phase cut_over", await RunAsync("migration", "cutover", "texts", "re"), StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var (exitCode, output) = await CliHarness.RunAsync([.. args, "--server", Address]);
        Assert.True(exitCode == 0, $"retrieval {string.Join(' ', args)} exited {exitCode}:\n{output}");
        return output;
    }

    /// <summary>old = new with coordinates permuted and one sign flipped (an exact orthogonal map); anchors hold both.</summary>
    private async Task<(float[][] New, float[][] Old)> CreateVectorCollectionAsync(string name)
    {
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces =
            {
                new Space { Name = "old", Dimension = Dim, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } },
                new Space { Name = "new", Dimension = Dim, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
            },
        });
        var random = new Random(4);
        var newVectors = Enumerable.Range(0, Items).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        var oldVectors = newVectors.Select(x => new[] { x[1], -x[0], x[3], x[2] }).ToArray();
        var upsert = new UpsertItemsRequest { Collection = name };
        for (var i = 0; i < Items; i++)
        {
            var item = new Item { Id = $"i{i}" };
            item.Vectors.Add("old", new Vector { Values = { oldVectors[i] } });
            if (i < Anchors)
            {
                item.Vectors.Add("new", new Vector { Values = { newVectors[i] } });
            }

            upsert.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(upsert);
        return (newVectors, oldVectors);
    }

    private async Task RegisterTextEncoderAsync(string name, int seed) =>
        await Server.Encoders.UploadEncoderAsync(new UploadEncoderRequest
        {
            Descriptor_ = new EncoderDescriptor
            {
                Name = name,
                Version = "1",
                Dimension = TinyTextModel.Dim,
                Metric = Metric.Cosine,
                Kind = EncoderKind.Dense,
                InputKind = InputKind.Text,
                OutputName = "last_hidden_state",
                Pooling = Pooling.Mean,
                Normalize = true,
                MaxSequenceLength = 16,
            },
            Model = ByteString.CopyFrom(new TinyTextModel(seed).Model()),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        });

    private static Space TextSpace(string name, string encoder) => new()
    {
        Name = name,
        Dimension = TinyTextModel.Dim,
        Metric = Metric.Cosine,
        Model = new ModelRef { Name = encoder, Version = "1" },
        Encoder = new EncoderRef { Name = encoder, Version = "1" },
    };

    private string File(string name) => Path.Combine(_files!, name);

    private void WriteMatrix(string name, IEnumerable<float[]> rows)
    {
        var list = rows.ToList();
        using var stream = System.IO.File.Create(File(name));
        NpyFile.Write(stream, list.SelectMany(r => r).ToArray(), list.Count, Dim);
    }

    /// <summary>An int32 (n × 1) .npy: version 1.0, header padded so the data starts at a multiple of 64, little-endian values.</summary>
    private void WriteInt32Column(string name, int[] values)
    {
        var header = $"{{'descr': '<i4', 'fortran_order': False, 'shape': ({values.Length}, 1), }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var stream = System.IO.File.Create(File(name));
        stream.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0]);
        stream.Write(Encoding.ASCII.GetBytes(header));
        foreach (var value in values)
        {
            stream.Write(BitConverter.GetBytes(value));
        }
    }
}

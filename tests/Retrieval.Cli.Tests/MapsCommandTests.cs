using Retrieval.Contracts.V1;
using Retrieval.Testing.Server;

namespace Retrieval.Cli.Tests;

/// <summary><c>retrieval maps …</c> against a real in-process server.</summary>
public sealed class MapsCommandTests : IAsyncLifetime
{
    private InProcessServer? _server;

    private InProcessServer Server => _server!;

    private string Address => Server.Configuration.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            Directory.Delete(_server.Configuration.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task MapsFitListActivate_PrintReportAndChangeTheServer()
    {
        await CreateRotatedPairAsync("docs", items: 50, seed: 3);

        var (fitted, report) = await CliHarness.RunAsync("maps", "fit", "docs", "--from", "new", "--to", "old", "--kind", "orthogonal", "--seed", "2", "--server", Address);
        Assert.True(fitted == 0, report);
        Assert.Contains("identification recall@10", report, StringComparison.Ordinal);
        Assert.Contains("held-out anchors", report, StringComparison.Ordinal);
        var id = Assert.Single((await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = "docs" })).Maps).Id;

        var (listed, list) = await CliHarness.RunAsync("maps", "list", "docs", "--server", Address);
        Assert.True(listed == 0, list);
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("Draft", list, StringComparison.Ordinal);

        var (activated, output) = await CliHarness.RunAsync("maps", "activate", "docs", id, "--server", Address);
        Assert.True(activated == 0, output);
        Assert.Equal(MapState.Active, (await Server.Maps.GetMapAsync(new GetMapRequest { Collection = "docs", Id = id })).State);
    }

    [Fact]
    public async Task MapsFitAuto_PrintsTheCandidateTableAndShowRepeatsIt()
    {
        await CreateRotatedPairAsync("auto", items: 60, seed: 4);

        // Budget 0: the first candidate (orthogonal) is scored, every other one is listed as skipped.
        var (fitted, report) = await CliHarness.RunAsync("maps", "fit", "auto", "--from", "new", "--to", "old", "--kind", "auto", "--budget", "0", "--server", Address);
        Assert.True(fitted == 0, report);
        Assert.Contains("automatic choice", report, StringComparison.Ordinal);
        Assert.Contains("SkippedForBudget", report, StringComparison.Ordinal);
        Assert.Contains("ResidualMlp", report, StringComparison.Ordinal);
        var map = Assert.Single((await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = "auto" })).Maps);
        Assert.Equal(MapKind.Orthogonal, map.Kind);
        Assert.Equal(0, map.Report.AutoSelection.BudgetSeconds);

        var (shown, show) = await CliHarness.RunAsync("maps", "show", "auto", map.Id, "--server", Address);
        Assert.True(shown == 0, show);
        Assert.Contains("automatic choice", show, StringComparison.Ordinal);
        Assert.Contains("only candidate scored", show, StringComparison.Ordinal);
    }

    /// <summary>A collection whose "old" vectors are an exact rotation of its "new" ones (a map fits it perfectly).</summary>
    private async Task CreateRotatedPairAsync(string name, int items, int seed)
    {
        await Server.Collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Spaces =
            {
                new Space { Name = "old", Dimension = 4, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } },
                new Space { Name = "new", Dimension = 4, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
            },
        });
        var random = new Random(seed);
        var upsert = new UpsertItemsRequest { Collection = name };
        for (var i = 0; i < items; i++)
        {
            var x = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
            var item = new Item { Id = $"i{i}" };
            item.Vectors.Add("new", new Vector { Values = { x } });
            item.Vectors.Add("old", new Vector { Values = { x[1], -x[0], x[3], x[2] } });
            upsert.Items.Add(item);
        }

        await Server.Items.UpsertItemsAsync(upsert);
    }
}

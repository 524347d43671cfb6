using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Memory;
using Xunit.Abstractions;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Memory;

/// <summary>
/// The vector memory accounting (what each space holds, from the indexes' real sizes) and the budget that refuses a
/// write past it before commit.
/// </summary>
public sealed class VectorMemoryBudgetTests(ITestOutputHelper output)
{
    private const int Dimension = 8;
    private const long RowBytes = Dimension * sizeof(float);

    [Fact]
    public async Task ExactSpace_CountsTheRowsOfLiveVectors_ReplacementsAddNothing_DeletesFree()
    {
        await using var harness = await StartAsync();
        await harness.Engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, CancellationToken.None);
        await harness.Engine.UpsertAsync("c", Items(0, 10), CancellationToken.None);

        var memory = harness.Engine.GetCollection("c").Memory.Single();
        Assert.Equal(new SpaceMemory("v", 10, 10 * RowBytes, 0, 0), memory);
        Assert.Equal(10 * RowBytes, harness.Engine.VectorMemoryBytes);

        await harness.Engine.UpsertAsync("c", Items(0, 10, offset: 5), CancellationToken.None);
        Assert.Equal(10 * RowBytes, harness.Engine.VectorMemoryBytes);

        await harness.Engine.DeleteAsync("c", ["i0", "i1", "i2", "i3"], CancellationToken.None);
        Assert.Equal(6 * RowBytes, harness.Engine.GetCollection("c").Memory.Single().TotalBytes);
    }

    [Theory]
    [InlineData("HNSW16")]
    [InlineData("IVF16,Flat")]
    public async Task IndexedSpace_CountsTheSpecEstimateUntilBuilt_ThenTheIndexMeasuredSize(string spec)
    {
        const int dimension = 32;
        const int count = 600;
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        await harness.Engine.CreateCollectionAsync("c", [Space("v", dimension, Metric.L2, spec)], null, CancellationToken.None);
        var random = new Random(3);
        await harness.Engine.UpsertAsync("c", Enumerable.Range(0, count)
            .Select(i => Item($"i{i}", "v", [.. Enumerable.Range(0, dimension).Select(_ => random.NextSingle())])).ToList(), CancellationToken.None);

        var estimate = VectorMemoryAccounting.EstimatedIndexBytesPerVector(IndexSpec.Parse(spec, dimension, FieldPath.Of("index")), dimension, Metric.L2);
        var before = harness.Engine.GetCollection("c").Memory.Single();
        Assert.Equal(count * dimension * sizeof(float), before.VectorBytes);
        Assert.Equal((long)Math.Round(count * estimate), before.IndexBytes);

        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        // Sealed (past 500) and indexed: the vectors now count at the built index's own size (reserved capacity,
        // centroids, search contexts, allocator layout: not the formula). Both index kinds hold the float rows at least.
        Assert.Equal(count, harness.Engine.GetSpaceIndexStatus("c", "v").IndexedVectors);
        var after = harness.Engine.GetCollection("c").Memory.Single();
        Assert.Equal(before.VectorBytes, after.VectorBytes);
        Assert.True(after.IndexBytes >= count * dimension * sizeof(float), $"{spec}: the built index counts {after.IndexBytes} bytes for {count} float rows");
        Assert.NotEqual(before.IndexBytes, after.IndexBytes);
        output.WriteLine($"{spec}, {count} × {dimension}: rows {after.VectorBytes} B; index estimated {before.IndexBytes} B ({estimate:F0} B/vector), built {after.IndexBytes} B ({(double)after.IndexBytes / count:F0} B/vector)");

        // Deleting half of the indexed rows frees half of the index's bytes at once (the rebuild then frees them).
        await harness.Engine.DeleteAsync("c", [.. Enumerable.Range(0, count).Where(i => i % 2 == 0).Select(i => $"i{i}")], CancellationToken.None);
        var halved = harness.Engine.GetCollection("c").Memory.Single();
        Assert.Equal(count / 2 * dimension * sizeof(float), halved.VectorBytes);
        Assert.True(halved.IndexBytes < after.IndexBytes * 0.6, $"{spec}: {halved.IndexBytes} of {after.IndexBytes} index bytes after deleting half");
    }

    [Fact]
    public async Task MultiVectorSpace_CountsItsFdesAndKeptTokens()
    {
        const int tokens = 5;
        await using var harness = await StartAsync();
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11) };
        await harness.Engine.CreateCollectionAsync("c",
            [new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings)], null, CancellationToken.None);
        var random = new Random(4);
        await harness.Engine.UpsertAsync("c", Enumerable.Range(0, 12).Select(i => new ItemWrite($"d{i}", null, new Dictionary<string, float[]>())
        {
            MultiVectors = new Dictionary<string, IReadOnlyList<float[]>>
            {
                ["mv"] = [.. Enumerable.Range(0, tokens).Select(_ => Enumerable.Range(0, Dimension).Select(_ => random.NextSingle() - 0.5f).ToArray())],
            },
        }).ToList(), CancellationToken.None);

        var memory = harness.Engine.GetCollection("c").Memory.Single();
        var fdeLength = new MuveraEncoder(settings.Muvera).EncodedLength;
        Assert.Equal(new SpaceMemory("mv", 12, 12L * fdeLength * sizeof(float), 0, 12L * tokens * RowBytes), memory);
    }

    [Theory]
    [InlineData(TokenPrecision.Float16)]
    [InlineData(TokenPrecision.ScaledInt8)]
    public async Task MultiVectorSpace_CountsKeptTokensInTheirStoredPrecision_AndTheBudgetChargesTheSame(TokenPrecision precision)
    {
        const int tokens = 5, items = 12;
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11), TokenPrecision = precision };
        var fdeBytes = 4L * new MuveraEncoder(settings.Muvera).EncodedLength;
        var tokenBytes = StoredTokens.BytesFor(precision, tokens, Dimension);
        Assert.True(tokenBytes < tokens * RowBytes, "the precision under test must be smaller than float32");

        // A budget that fits exactly the items written first: one more item is refused, so the charge equals the count.
        await using var harness = await StartAsync(new EngineOptions { MaxVectorMemoryBytes = items * (fdeBytes + tokenBytes) });
        await harness.Engine.CreateCollectionAsync("c",
            [new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings)], null, CancellationToken.None);
        var random = new Random(5);
        ItemWrite Item(string id) => new(id, null, new Dictionary<string, float[]>())
        {
            MultiVectors = new Dictionary<string, IReadOnlyList<float[]>>
            {
                ["mv"] = [.. Enumerable.Range(0, tokens).Select(_ => Enumerable.Range(0, Dimension).Select(_ => random.NextSingle() - 0.5f).ToArray())],
            },
        };
        await harness.Engine.UpsertAsync("c", [.. Enumerable.Range(0, items).Select(i => Item($"d{i}"))], CancellationToken.None);

        Assert.Equal(new SpaceMemory("mv", items, items * fdeBytes, 0, items * tokenBytes), harness.Engine.GetCollection("c").Memory.Single());
        var refused = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.UpsertAsync("c", [Item("extra")], CancellationToken.None));
        Assert.Equal(ErrorKind.ResourceExhausted, refused.Kind);
    }

    [Fact]
    public async Task Budget_RefusesTheWriteThatWouldPassIt_BeforeCommit_AndDeletesFreeIt()
    {
        await using var harness = await StartAsync(new EngineOptions { MaxVectorMemoryBytes = 10 * RowBytes });
        await harness.Engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, CancellationToken.None);
        await harness.Engine.UpsertAsync("c", Items(0, 10), CancellationToken.None);
        var itemCount = harness.Engine.GetCollection("c").ItemCount;

        var refused = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.UpsertAsync("c", Items(10, 1), CancellationToken.None));

        Assert.Equal(ErrorKind.ResourceExhausted, refused.Kind);
        Assert.Contains("Retrieval:Limits:MaxVectorMemoryBytes", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"needs {RowBytes} bytes", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"hold {10 * RowBytes} of the {10 * RowBytes} bytes", refused.Message, StringComparison.Ordinal);
        // A batch is admitted or refused whole: one new item among replacements refuses it all.
        await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.UpsertAsync("c", [.. Items(0, 3, offset: 1), .. Items(11, 1)], CancellationToken.None));
        // Replacing vectors adds nothing, so it is admitted at the limit.
        await harness.Engine.UpsertAsync("c", Items(0, 10, offset: 2), CancellationToken.None);

        await harness.ReopenAsync();
        Assert.Equal(itemCount, harness.Engine.GetCollection("c").ItemCount);
        Assert.Empty(harness.Engine.GetItems("c", ["i10", "i11"], withVectors: false));
        Assert.Equal(2f, harness.Engine.GetItems("c", ["i0"], withVectors: true).Single().Vectors!["v"][0]);

        await harness.Engine.DeleteAsync("c", ["i0"], CancellationToken.None);
        await harness.Engine.UpsertAsync("c", Items(10, 1), CancellationToken.None);
        Assert.Equal(10, harness.Engine.GetCollection("c").ItemCount);
    }

    [Fact]
    public async Task Budget_SpansCollections_AndADroppedCollectionFreesIt()
    {
        await using var harness = await StartAsync(new EngineOptions { MaxVectorMemoryBytes = 10 * RowBytes });
        await harness.Engine.CreateCollectionAsync("a", [Space("v", Dimension)], null, CancellationToken.None);
        await harness.Engine.CreateCollectionAsync("b", [Space("v", Dimension)], null, CancellationToken.None);
        await harness.Engine.UpsertAsync("a", Items(0, 8), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<RetrievalException>(() => harness.Engine.UpsertAsync("b", Items(0, 3), CancellationToken.None));
        Assert.Equal(ErrorKind.ResourceExhausted, refused.Kind);
        Assert.Equal(0, harness.Engine.GetCollection("b").ItemCount);

        await harness.Engine.DeleteCollectionAsync("a", CancellationToken.None);
        await harness.Engine.UpsertAsync("b", Items(0, 10), CancellationToken.None);
        Assert.Equal(10 * RowBytes, harness.Engine.VectorMemoryBytes);
    }

    [Fact]
    public async Task Budget_ConcurrentWritersOfSeveralCollections_NeverPassIt()
    {
        const int budgetVectors = 50;
        await using var harness = await StartAsync(new EngineOptions { MaxVectorMemoryBytes = budgetVectors * RowBytes });
        var collections = Enumerable.Range(0, 4).Select(i => $"c{i}").ToList();
        foreach (var name in collections)
        {
            await harness.Engine.CreateCollectionAsync(name, [Space("v", Dimension)], null, CancellationToken.None);
        }

        var admitted = 0;
        await Task.WhenAll(collections.Select(name => Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                try
                {
                    await harness.Engine.UpsertAsync(name, Items(i, 1), CancellationToken.None);
                    Interlocked.Increment(ref admitted);
                }
                catch (RetrievalException e) when (e.Kind == ErrorKind.ResourceExhausted)
                {
                }
            }
        })));

        Assert.Equal(budgetVectors, admitted);
        Assert.Equal(budgetVectors * RowBytes, harness.Engine.VectorMemoryBytes);
    }

    private static List<ItemWrite> Items(int first, int count, float offset = 0) =>
        [.. Enumerable.Range(first, count).Select(i => Item($"i{i}", "v", [offset + i, .. new float[Dimension - 1]]))];
}

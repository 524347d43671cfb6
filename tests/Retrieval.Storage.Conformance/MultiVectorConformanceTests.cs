using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// Multi-vector spaces in the store of record: the definition (kind, MUVERA and pruning settings, pinned encoder
/// state) survives a reopen unchanged, and an item's token matrix, stored row-major as n·d floats, comes back bit for
/// bit whatever its token count, including when an upsert replaces it with one of another length.
/// </summary>
public abstract class MultiVectorConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    private const string Multi = "tokens";
    private const int Dimension = 6;

    [StoreFact]
    public async Task CreateCollection_MultiVectorSpace_KeepsEverySettingAcrossReopen()
    {
        var collection = await NewMultiVectorCollectionAsync();

        await ReopenAsync();

        var listed = (await Store.ListCollectionsAsync(Ct)).Single(c => c.Name == collection.Name);
        TestData.AssertSameDefinition(collection, listed);
        var settings = listed.FindSpace(Multi)!.MultiVector!;
        Assert.Equal(SpaceKind.Multi, listed.FindSpace(Multi)!.Kind);
        Assert.Equal(new MuveraEncoder(settings.Muvera).Serialize(), Convert.FromBase64String(settings.EncoderState!));
    }

    [StoreFact]
    public async Task Write_TokenMatrices_ReadBackBitIdenticalAndReplacedWhole()
    {
        var collection = await NewMultiVectorCollectionAsync();
        var three = Tokens(3, seed: 1);
        var seventeen = Tokens(17, seed: 2);
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([Item("a", three), Item("b", seventeen)]), Ct);
        var replacement = Tokens(5, seed: 3);
        await Store.WriteAsync(collection.Name, WriteBatch.ForUpserts([Item("a", replacement)]), Ct);

        await ReopenAsync();

        var items = (await Store.GetItemsAsync(collection.Name, ["a", "b"], Ct)).ToDictionary(i => i.Id);
        TestData.AssertSameVectors(new Dictionary<string, float[]> { [Multi] = replacement }, items["a"].Vectors);
        TestData.AssertSameVectors(new Dictionary<string, float[]> { [Multi] = seventeen }, items["b"].Vectors);
        var feed = await ReadAllChangesAsync(collection.Name, 0);
        Assert.Equal(5 * Dimension, feed.Single(c => c.Id == "a").Item!.Vectors[Multi].Length);
    }

    private async Task<CollectionDefinition> NewMultiVectorCollectionAsync()
    {
        var muvera = MuveraParameters.CompactPreset(Dimension, seed: 42) with { DFinal = 64 };
        var settings = new MultiVectorSettings
        {
            Muvera = muvera,
            Pruning = PruningOptions.KMeans(4, seed: 7),
            QueryCentroids = 3,
            BallCarvingTau = 0.7f,
            MaxTokens = 64,
            Candidates = 50,
            EncoderState = Convert.ToBase64String(new MuveraEncoder(muvera).Serialize()),
        };
        var collection = new CollectionDefinition(
            TestData.NewCollectionName(),
            [
                new SpaceDefinition(TestData.Dense, TestData.DenseDimension, Metric.Cosine, new ModelRef("test-dense", "1")),
                new SpaceDefinition(Multi, Dimension, Metric.InnerProduct, new ModelRef("colbert", "2"), Kind: SpaceKind.Multi, MultiVector: settings),
            ],
            TestData.Dense,
            TestData.CreatedAt,
            TestData.CreatedAt);
        await Store.CreateCollectionAsync(collection, Ct);
        return collection;
    }

    private static ItemWrite Item(string id, float[] tokens) => new(id, null, new Dictionary<string, float[]> { [Multi] = tokens });

    /// <summary>n token vectors of <see cref="Dimension"/> components, row-major, with a −0 and a subnormal among them.</summary>
    private static float[] Tokens(int count, int seed)
    {
        var values = TestData.Vector(seed, count * Dimension);
        values[0] = -0f;
        values[^1] = float.Epsilon;
        return values;
    }
}

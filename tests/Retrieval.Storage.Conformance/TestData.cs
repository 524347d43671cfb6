using System.Runtime.InteropServices;
using System.Text;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>Deterministic collections, items and vectors for the conformance tests, and their comparisons.</summary>
public static class TestData
{
    public const string Dense = "dense";
    public const int DenseDimension = 8;
    public const string Sparse = "other";
    public const int SparseDimension = 3;

    /// <summary>A creation time with sub-millisecond digits: both stores keep microseconds.</summary>
    public static readonly DateTimeOffset CreatedAt = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1_234_560);

    public static string NewCollectionName() => "c-" + Guid.NewGuid().ToString("N")[..20];

    public static CollectionDefinition Collection(string name) => new(
        name,
        [
            new SpaceDefinition(Dense, DenseDimension, Metric.Cosine, new ModelRef("test-dense", "1")),
            new SpaceDefinition(Sparse, SparseDimension, Metric.L2, new ModelRef("test-other", "2024-01")),
        ],
        Dense,
        CreatedAt,
        CreatedAt);

    /// <summary>A reproducible vector; different seeds give different vectors.</summary>
    public static float[] Vector(int seed, int dimension = DenseDimension)
    {
        var random = new Random(seed);
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    /// <summary>An upsert with a dense vector (and the other space's when <paramref name="withOther"/>).</summary>
    public static ItemWrite Item(string id, int seed, string? payload = null, bool withOther = false)
    {
        var vectors = new Dictionary<string, float[]> { [Dense] = Vector(seed) };
        if (withOther)
        {
            vectors[Sparse] = Vector(seed + 1_000_000, SparseDimension);
        }

        return new ItemWrite(id, payload, vectors);
    }

    public static ItemWrite Item(string id, string? payload, params (string Space, float[] Vector)[] vectors) =>
        new(id, payload, vectors.ToDictionary(v => v.Space, v => v.Vector));

    /// <summary>The order both stores sort ids in: UTF-8 bytes (not .NET's UTF-16 ordinal order).</summary>
    public static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    public static void AssertSameDefinition(CollectionDefinition expected, CollectionDefinition actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DefaultSpace, actual.DefaultSpace);
        Assert.Equal(expected.Spaces, actual.Spaces);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
        Assert.Equal(expected.Version, actual.Version);
    }

    /// <summary>Vectors compare by their bits: NaN payloads, -0 and subnormals must survive the store.</summary>
    public static void AssertSameVectors(IReadOnlyDictionary<string, float[]> expected, IReadOnlyDictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (space, vector) in expected)
        {
            Assert.True(
                MemoryMarshal.AsBytes(vector.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual[space].AsSpan())),
                $"vector of space '{space}' differs");
        }
    }

    public static void AssertSameItem(StoredItem expected, StoredItem actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.PayloadJson, actual.PayloadJson);
        Assert.Equal(expected.Sequence, actual.Sequence);
        AssertSameVectors(expected.Vectors, actual.Vectors);
    }

    public static void AssertSameChanges(IReadOnlyList<ItemChange> expected, IReadOnlyList<ItemChange> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].Sequence, actual[i].Sequence);
            Assert.Equal(expected[i].IsDelete, actual[i].IsDelete);
            Assert.Equal(expected[i].Shard, actual[i].Shard);
            if (expected[i].Item is { } item)
            {
                AssertSameItem(item, actual[i].Item!);
            }
        }
    }

    /// <summary>Asserts ascending (sequence, UTF-8 id) order with no id twice.</summary>
    public static void AssertFeedOrder(IReadOnlyList<ItemChange> changes)
    {
        for (var i = 1; i < changes.Count; i++)
        {
            var previous = changes[i - 1];
            var current = changes[i];
            Assert.True(
                previous.Sequence < current.Sequence
                || (previous.Sequence == current.Sequence && CompareUtf8(previous.Id, current.Id) < 0),
                $"change {i} ({current.Sequence}, '{current.Id}') is not after ({previous.Sequence}, '{previous.Id}')");
        }

        Assert.Equal(changes.Count, changes.Select(c => c.Id).Distinct(StringComparer.Ordinal).Count());
    }
}

using Retrieval.USearch.Tests.Support;

namespace Retrieval.USearch.Tests.Index;

/// <summary>Filtered search: only keys whose bit is set come back, and the filter runs inside the graph walk.</summary>
public sealed class UsearchFilterTests
{
    [Fact]
    public void Search_Bitset_ReturnsOnlyAllowedKeysAndTheBestOfThem()
    {
        // Keys are row numbers here, so the bitset's bit i allows row i.
        var data = TestGraphs.Data(UsearchMetric.SquaredL2);
        using var index = TestGraphs.Create(data.Dimension, UsearchMetric.SquaredL2);
        index.Reserve(data.Count, 1);
        for (var row = 0; row < data.Count; row++)
        {
            index.Add((ulong)row, data.Vectors.AsSpan(row * data.Dimension, data.Dimension));
        }

        var words = new ulong[(data.Count + 63) / 64];
        for (var row = 0; row < data.Count; row += 3)
        {
            words[row / 64] |= 1UL << (row % 64);
        }

        var keys = new ulong[TestGraphs.K];
        var distances = new float[TestGraphs.K];
        var query = data.Vectors.AsMemory(1 * data.Dimension, data.Dimension); // row 1 is not allowed
        var found = index.Search(query.Span, TestGraphs.K, 200, words, filtered: true, keys, distances);

        Assert.Equal(TestGraphs.K, found);
        Assert.All(keys, key => Assert.Equal(0ul, key % 3));
        var exactBest = Enumerable.Range(0, data.Count).Where(r => r % 3 == 0)
            .OrderBy(r => SquaredDistance(query.Span, data.Vectors.AsSpan(r * data.Dimension, data.Dimension)))
            .First();
        Assert.Equal((ulong)exactBest, keys[0]);
    }

    [Fact]
    public void Search_KeysPastTheBitset_AreExcluded()
    {
        using var index = TestGraphs.Create(2, UsearchMetric.SquaredL2);
        index.Reserve(2, 1);
        index.Add(3, [0f, 0f]);
        index.Add(100, [0.1f, 0f]);
        ulong[] words = [1UL << 3]; // one word: keys 0..63

        var keys = new ulong[2];
        var found = index.Search([0.1f, 0f], 2, 0, words, filtered: true, keys, new float[2]);

        Assert.Equal(1, found);
        Assert.Equal(3ul, keys[0]);
    }

    [Fact]
    public void Search_EmptyFilter_FindsNothing()
    {
        using var index = TestGraphs.Create(2, UsearchMetric.SquaredL2);
        index.Reserve(1, 1);
        index.Add(0, [0f, 0f]);

        Assert.Equal(0, index.Search([0f, 0f], 1, 0, new ulong[1], filtered: true, new ulong[1], new float[1]));
    }

    private static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (a[i] - b[i]);
        }

        return sum;
    }
}

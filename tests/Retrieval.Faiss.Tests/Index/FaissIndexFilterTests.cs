using Retrieval.TestData;
using Retrieval.Core.Search;
using Retrieval.Faiss.Tests.Support;

namespace Retrieval.Faiss.Tests.Index;

/// <summary>Filtered search: only allowed ids come back, for bitset and id-list filters, on every index type.</summary>
public sealed class FaissIndexFilterTests
{
    // Every 7th row allowed: sparse enough that an ignored filter is obvious.
    private static bool Allowed(int row) => row % 7 == 3;

    [Theory]
    [MemberData(nameof(Factories.All), MemberType = typeof(Factories))]
    public void Search_BitsetFilter_ReturnsOnlyAllowedIds(string factory)
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(factory, FaissMetric.L2);
        var bitset = AllowedIdBitset(data);

        var result = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters
        {
            EfSearch = 64,
            NProbe = 8,
            Filter = FaissIdFilter.FromBitset(bitset),
        });

        AssertOnlyAllowed(result);
    }

    [Theory]
    [MemberData(nameof(Factories.All), MemberType = typeof(Factories))]
    public void Search_IdListFilter_ReturnsOnlyAllowedIds(string factory)
    {
        var data = TestIndexes.Data(FaissMetric.InnerProduct);
        using var index = TestIndexes.Build(factory, FaissMetric.InnerProduct);
        var allowedIds = Enumerable.Range(0, data.Count).Where(Allowed).Select(ClusteredData.RowToId).ToArray();

        var result = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters
        {
            EfSearch = 64,
            NProbe = 8,
            Filter = FaissIdFilter.FromIds(allowedIds),
        });

        AssertOnlyAllowed(result);
    }

    [Fact]
    public void Search_FilteredFlat_MatchesExactFilteredSearch()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.Flat, FaissMetric.L2);
        var rows = new RowFilter(data.Count);
        foreach (var row in Enumerable.Range(0, data.Count).Where(Allowed))
        {
            rows.Set(row);
        }

        var exact = Oracle.ExactIds(data, TestIndexes.K, FaissMetric.L2, rows);
        var result = index.Search(data.Queries, TestIndexes.K, new FaissSearchParameters { Filter = FaissIdFilter.FromBitset(AllowedIdBitset(data)) });

        Assert.True(Oracle.Recall(result, exact) >= 0.999);
    }

    [Fact]
    public void Search_EmptyFilter_ReturnsNoHits()
    {
        var data = TestIndexes.Data(FaissMetric.L2);
        using var index = TestIndexes.Build(Factories.Hnsw, FaissMetric.L2);

        var result = index.Search(data.Queries.AsSpan(0, data.Dimension), TestIndexes.K, new FaissSearchParameters { Filter = FaissIdFilter.FromIds(Array.Empty<long>()) });

        Assert.All(result.Ids(0).ToArray(), id => Assert.Equal(-1, id));
        Assert.All(result.Scores(0).ToArray(), score => Assert.Equal(float.NegativeInfinity, score));
    }

    private static ulong[] AllowedIdBitset(ClusteredData data)
    {
        var maxId = ClusteredData.RowToId(data.Count - 1);
        var words = new ulong[(maxId / 64) + 1];
        for (var row = 0; row < data.Count; row++)
        {
            if (Allowed(row))
            {
                var id = ClusteredData.RowToId(row);
                words[id / 64] |= 1UL << (int)(id % 64);
            }
        }

        return words;
    }

    private static void AssertOnlyAllowed(FaissSearchResult result)
    {
        var hits = 0;
        for (var q = 0; q < result.QueryCount; q++)
        {
            foreach (var id in result.Ids(q))
            {
                if (id >= 0)
                {
                    hits++;
                    Assert.True(Allowed(ClusteredData.IdToRow(id)), $"id {id} is outside the filter");
                }
            }
        }

        // Most slots must be filled: an empty answer would pass the check above trivially.
        Assert.True(hits > result.QueryCount * result.K / 2, $"only {hits} hits");
    }
}

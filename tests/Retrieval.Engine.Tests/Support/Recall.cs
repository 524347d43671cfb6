using Retrieval.TestData;
using Retrieval.Core.Search;

namespace Retrieval.Engine.Tests.Support;

/// <summary>Recall@k of approximate hits against exact ones.</summary>
internal static class Recall
{
    public static double Of(IReadOnlyList<IReadOnlyCollection<long>> exact, IReadOnlyList<IReadOnlyCollection<long>> approximate)
    {
        long found = 0;
        long wanted = 0;
        for (var q = 0; q < exact.Count; q++)
        {
            var truth = exact[q].ToHashSet();
            found += approximate[q].Count(truth.Contains);
            wanted += truth.Count;
        }

        return wanted == 0 ? 1 : (double)found / wanted;
    }

    public static FlatVectorStorage Storage(ClusteredData data)
    {
        var storage = new FlatVectorStorage(data.Dimension, data.Count);
        for (var row = 0; row < data.Count; row++)
        {
            storage.Add(data.Vectors.AsSpan(row * data.Dimension, data.Dimension));
        }

        return storage;
    }
}

using System.Runtime.InteropServices;
using Retrieval.Benchmarks.Faiss;
using Retrieval.Core.Formats;
using Retrieval.Core.Model;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.Ann;

/// <summary>Base vectors, queries, metric and exact top-k ground truth (from Core's exact search) of one benchmark data set.</summary>
internal sealed class AnnDataset
{
    private AnnDataset(string name, int dimension, Metric metric, float[] vectors, float[] queries, int k)
    {
        Name = name;
        Dimension = dimension;
        Metric = metric;
        Vectors = vectors;
        Queries = queries;
        Storage = new FlatVectorStorage(dimension, Count);
        for (var r = 0; r < Count; r++)
        {
            Storage.Add(vectors.AsSpan(r * dimension, dimension));
        }

        var kind = metric == Metric.L2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
        var truth = new long[QueryCount][];
        Parallel.For(0, QueryCount, q => truth[q] = [.. ExactSearch.Search(Storage, Query(q), k, kind).Select(h => (long)h.Row)]);
        Truth = truth;
    }

    public string Name { get; }

    public int Dimension { get; }

    public Metric Metric { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public FlatVectorStorage Storage { get; }

    public long[][] Truth { get; }

    public int Count => Vectors.Length / Dimension;

    public int QueryCount => Queries.Length / Dimension;

    public ReadOnlySpan<float> Query(int q) => Queries.AsSpan(q * Dimension, Dimension);

    public static AnnDataset Synthetic(int count, int queries, int dimension, int k, int seed)
    {
        var data = BenchmarkData.Generate(count, queries, dimension, clusters: 1000, k, seed);
        return new AnnDataset($"synthetic-{count / 1000}k×{dimension}", dimension, Metric.L2, data.Vectors, data.Queries, k);
    }

    /// <summary>Items and the first <paramref name="queries"/> queries of a real folder (L2-normalized: inner product = cosine).</summary>
    public static AnnDataset FromNpy(string name, string itemsPath, string queriesPath, int queries, int k)
    {
        var items = NpyFile.ReadMatrix(itemsPath);
        var allQueries = NpyFile.ReadMatrix(queriesPath);
        var n = Math.Min(queries, allQueries.Rows);
        return new AnnDataset(name, items.Columns, Metric.Cosine, items.Data, allQueries.Data.AsSpan(0, n * allQueries.Columns).ToArray(), k);
    }

    public double Recall(long[] ids, int k)
    {
        var total = 0.0;
        for (var q = 0; q < QueryCount; q++)
        {
            var truth = Truth[q].Take(k).ToHashSet();
            total += (double)ids.AsSpan(q * k, k).ToArray().Count(truth.Contains) / k;
        }

        return total / QueryCount;
    }

    /// <summary>Writes base.f32, queries.f32, truth.i64 and the training sample train.f32 for the Python peer.</summary>
    public void WriteTo(string directory, float[] trainingSample)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "base.f32"), MemoryMarshal.AsBytes(Vectors.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "queries.f32"), MemoryMarshal.AsBytes(Queries.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "train.f32"), MemoryMarshal.AsBytes(trainingSample.AsSpan()).ToArray());
        var flat = Truth.SelectMany(t => t).ToArray();
        File.WriteAllBytes(Path.Combine(directory, "truth.i64"), MemoryMarshal.AsBytes(flat.AsSpan()).ToArray());
    }
}

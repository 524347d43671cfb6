using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Faiss;

namespace Retrieval.Engine.Indexes;

/// <summary>The IVF family (IVF,Flat / IVF,PQ / IVF,SQ8) through our Faiss shim; filters become an <c>IDSelectorBitmap</c>.</summary>
internal sealed class FaissVectorIndex : IVectorIndex
{
    private readonly FaissIndex _index;
    private readonly int _defaultNProbe;
    private readonly int _buildThreads;

    // Counting walks every inverted list, and a built index never changes: counted once, again only after a
    // Train or Add (builds only).
    private long _memoryBytes = -1;

    private FaissVectorIndex(IndexSpec spec, FaissIndex index, IndexingOptions options)
    {
        Spec = spec;
        _index = index;
        _defaultNProbe = options.DefaultNProbe;
        _buildThreads = options.BuildThreads;
    }

    public IndexSpec Spec { get; }

    public int Dimension => _index.Dimension;

    public long Count => _index.Count;

    public bool NeedsTraining => !_index.IsTrained;

    public static FaissVectorIndex Create(IndexSpec spec, int dimension, Metric metric, IndexingOptions options) =>
        new(spec, FaissIndex.Create(spec.FaissFactory, dimension, MetricOf(metric)), options);

    public static FaissVectorIndex Deserialize(IndexSpec spec, int dimension, Metric metric, ReadOnlySpan<byte> data, IndexingOptions options)
    {
        var index = FaissIndex.Deserialize(data);
        if (index.Dimension != dimension || index.Metric != MetricOf(metric))
        {
            index.Dispose();
            throw new InvalidDataException($"the serialized Faiss index has dimension {index.Dimension} and metric {index.Metric}, expected {dimension} and {MetricOf(metric)}");
        }

        return new FaissVectorIndex(spec, index, options);
    }

    // Builds run on the optimizer's thread, one at a time: k-means training and adding (coarse assignment, encoding)
    // spread over BuildThreads OpenMP threads there, whatever the process-wide setting that searches use.
    public void Train(ReadOnlySpan<float> sample)
    {
        using var threads = FaissRuntime.UseThreadsOnThisThread(_buildThreads);
        _index.Train(sample);
        _memoryBytes = -1;
    }

    public void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        using var threads = FaissRuntime.UseThreadsOnThisThread(_buildThreads);
        _index.Add(ids, vectors);
        _memoryBytes = -1;
    }

    public int Search(ReadOnlySpan<float> query, int k, IndexSearchParameters parameters, RowFilter? allowed, Span<long> ids, Span<float> scores)
    {
        var faissParameters = new FaissSearchParameters
        {
            NProbe = parameters.NProbe > 0 ? parameters.NProbe : _defaultNProbe,
            // The engine asks one query per call (and spreads a batch's queries over cores itself): one thread.
            Threads = 1,
            Filter = allowed is null ? null : FaissIdFilter.FromBitset(allowed.Words),
        };
        _index.Search(query, k, ids, scores, faissParameters);
        var found = 0;
        while (found < k && ids[found] >= 0)
        {
            found++;
        }

        return found;
    }

    public long MemoryBytes
    {
        get
        {
            var bytes = Volatile.Read(ref _memoryBytes);
            if (bytes < 0)
            {
                bytes = _index.SerializedSize;
                Volatile.Write(ref _memoryBytes, bytes);
            }

            return bytes;
        }
    }

    public byte[] Serialize() => _index.Serialize();

    public void Dispose() => _index.Dispose();

    // Cosine spaces hold normalized vectors, so Faiss compares them by inner product.
    private static FaissMetric MetricOf(Metric metric) => metric == Metric.L2 ? FaissMetric.L2 : FaissMetric.InnerProduct;
}

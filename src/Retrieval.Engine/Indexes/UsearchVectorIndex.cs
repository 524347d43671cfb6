using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.USearch;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// HNSW through USearch. Cosine spaces hold unit vectors, so float graphs use USearch's inner product; the SQ8 spec
/// maps to USearch's 8-bit scalars with its cosine metric for cosine spaces, and to half precision for inner
/// product and L2 spaces (USearch's 8-bit cast normalizes vectors, which would change those rankings).
/// </summary>
internal sealed class UsearchVectorIndex : IGrowableGraphIndex
{
    private readonly UsearchIndex _graph;
    private readonly int _defaultEfSearch;
    private readonly int _addThreads;
    private readonly bool _lowerDistanceIsOneMinusScore;
    private long _memoryBytes = -1;

    private UsearchVectorIndex(IndexSpec spec, UsearchIndex graph, int defaultEfSearch, int addThreads)
    {
        Spec = spec;
        _graph = graph;
        _defaultEfSearch = defaultEfSearch;
        _addThreads = addThreads;
        _lowerDistanceIsOneMinusScore = graph.Metric != UsearchMetric.SquaredL2;
    }

    public IndexSpec Spec { get; }

    public int Dimension => _graph.Dimension;

    public long Count => _graph.Count;

    /// <summary>The efConstruction the graph was built with (the spec's, else the configured default).</summary>
    internal int EfConstruction => _graph.ExpansionAdd;

    public bool NeedsTraining => false;

    public static UsearchVectorIndex Create(IndexSpec spec, int dimension, Metric metric, long capacity, IndexingOptions options)
    {
        var (usearchMetric, scalar) = Layout(spec, metric);
        var graph = UsearchIndex.Create(dimension, usearchMetric, scalar, spec.M, spec.EfConstructionOr(options.HnswEfConstruction), options.DefaultEfSearch, options.SearchThreadsPerIndex);
        try
        {
            graph.Reserve(capacity, options.BuildThreads);
            return new UsearchVectorIndex(spec, graph, options.DefaultEfSearch, options.BuildThreads);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    public static UsearchVectorIndex Deserialize(IndexSpec spec, int dimension, Metric metric, ReadOnlySpan<byte> data, IndexingOptions options)
    {
        var (usearchMetric, scalar) = Layout(spec, metric);
        var graph = UsearchIndex.Deserialize(data, dimension, usearchMetric, scalar, spec.M, options.DefaultEfSearch, options.SearchThreadsPerIndex);
        return new UsearchVectorIndex(spec, graph, options.DefaultEfSearch, options.BuildThreads);
    }

    /// <summary>
    /// A copy of this graph with room for <paramref name="capacity"/> vectors in all, whose adds use the spec's
    /// efConstruction: a merge grows the largest segment's graph with the rows of the others instead of rebuilding it,
    /// and HNSW built by insertion is the same algorithm as a bulk build. The copy goes through the serialized form,
    /// which only reads this graph, so searches on it go on meanwhile.
    /// </summary>
    public IVectorIndex CopyWithRoomFor(long capacity, IndexingOptions options)
    {
        var graph = UsearchIndex.Deserialize(_graph.Serialize(), Dimension, _graph.Metric, _graph.Scalar, Spec.M, options.DefaultEfSearch, options.SearchThreadsPerIndex);
        try
        {
            graph.ChangeExpansionAdd(Spec.EfConstructionOr(options.HnswEfConstruction));
            graph.Reserve(Math.Max(capacity, graph.Count), options.BuildThreads);
            return new UsearchVectorIndex(Spec, graph, options.DefaultEfSearch, options.BuildThreads);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    public void Train(ReadOnlySpan<float> sample)
    {
    }

    public void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        var dimension = Dimension;
        if (vectors.Length != ids.Length * dimension)
        {
            throw new ArgumentException($"{ids.Length} ids need {ids.Length * dimension} floats, got {vectors.Length}", nameof(vectors));
        }

        // USearch inserts concurrently (one thread slot per adder, reserved at creation).
        var idArray = ids.ToArray();
        var data = vectors.ToArray();
        Parallel.For(0, idArray.Length, new ParallelOptions { MaxDegreeOfParallelism = _addThreads }, i =>
            _graph.Add((ulong)idArray[i], data.AsSpan(i * dimension, dimension)));
        Volatile.Write(ref _memoryBytes, -1);
    }

    public int Search(ReadOnlySpan<float> query, int k, IndexSearchParameters parameters, RowFilter? allowed, Span<long> ids, Span<float> scores)
    {
        Span<ulong> keys = k <= 256 ? stackalloc ulong[k] : new ulong[k];
        var ef = parameters.EfSearch > 0 ? parameters.EfSearch : _defaultEfSearch;
        var found = _graph.Search(query, k, Math.Max(ef, k), allowed is null ? default : allowed.Words.Span, allowed is not null, keys, scores);
        for (var i = 0; i < found; i++)
        {
            ids[i] = (long)keys[i];
            scores[i] = _lowerDistanceIsOneMinusScore ? 1 - scores[i] : -scores[i];
        }

        return found;
    }

    // The graph's nodes and vectors as laid out, not USearch's memory usage, which counts its arenas and search contexts
    // whole (about 16 MiB for a small graph, mostly never touched) and would charge every small segment that much.
    // USearch sums it over every node, and a built graph never changes: computed once, again only after an Add.
    public long MemoryBytes
    {
        get
        {
            var bytes = Volatile.Read(ref _memoryBytes);
            if (bytes < 0)
            {
                bytes = _graph.SerializedLength;
                Volatile.Write(ref _memoryBytes, bytes);
            }

            return bytes;
        }
    }

    public byte[] Serialize() => _graph.Serialize();

    public void Dispose() => _graph.Dispose();

    private static (UsearchMetric Metric, UsearchScalar Scalar) Layout(IndexSpec spec, Metric metric) => (spec.Kind, metric) switch
    {
        (IndexKind.Hnsw, Metric.L2) => (UsearchMetric.SquaredL2, UsearchScalar.F32),
        (IndexKind.Hnsw, _) => (UsearchMetric.InnerProduct, UsearchScalar.F32),
        (IndexKind.HnswSq8, Metric.Cosine) => (UsearchMetric.Cosine, UsearchScalar.I8),
        (IndexKind.HnswSq8, Metric.L2) => (UsearchMetric.SquaredL2, UsearchScalar.F16),
        (IndexKind.HnswSq8, _) => (UsearchMetric.InnerProduct, UsearchScalar.F16),
        _ => throw new ArgumentException($"{spec} is not an HNSW spec", nameof(spec)),
    };
}

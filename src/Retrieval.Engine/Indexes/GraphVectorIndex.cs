using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes.Graph;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// HNSW over float32 vectors through Retrieval's own graph (<see cref="HnswGraph"/>): the default for HNSW specs
/// (docs/decisions.md, "HNSW float32 graphs are Retrieval's own"). Cosine spaces hold unit vectors, so they use the
/// inner product; L2 spaces the squared distance. Scores are higher-is-better: the inner product, or the negated
/// squared distance.
/// </summary>
internal sealed class GraphVectorIndex : IGrowableGraphIndex
{
    private readonly HnswGraph _graph;
    private readonly int _defaultEfSearch;
    private readonly int _addThreads;
    private long _memoryBytes = -1;

    private GraphVectorIndex(IndexSpec spec, HnswGraph graph, IndexingOptions options)
    {
        Spec = spec;
        _graph = graph;
        _defaultEfSearch = options.DefaultEfSearch;
        _addThreads = options.BuildThreads;
    }

    public IndexSpec Spec { get; }

    public int Dimension => _graph.Dimension;

    public long Count => _graph.Count;

    /// <summary>The efConstruction the graph was built with (the spec's, else the configured default).</summary>
    internal int EfConstruction => _graph.EfConstruction;

    internal HnswGraph Graph => _graph;

    public bool NeedsTraining => false;

    public static GraphVectorIndex Create(IndexSpec spec, int dimension, Metric metric, long capacity, IndexingOptions options)
    {
        CheckSpec(spec);
        var graph = new HnswGraph(dimension, spec.M, spec.EfConstructionOr(options.HnswEfConstruction), MetricOf(metric), (int)Math.Clamp(capacity, 1, int.MaxValue));
        return new GraphVectorIndex(spec, graph, options);
    }

    /// <summary>True when <paramref name="data"/> is a graph this type wrote (older HNSW snapshots are USearch's).</summary>
    public static bool IsOwnFormat(ReadOnlySpan<byte> data) => HnswGraph.IsSerializedGraph(data);

    public static GraphVectorIndex Deserialize(IndexSpec spec, int dimension, Metric metric, ReadOnlySpan<byte> data, IndexingOptions options)
    {
        CheckSpec(spec);
        var graph = HnswGraph.Deserialize(data);
        if (graph.Dimension != dimension || graph.M != spec.M || graph.Metric != MetricOf(metric))
        {
            throw new InvalidDataException(
                $"the HNSW graph has dimension {graph.Dimension}, M {graph.M}, {graph.Metric}; the space wants {dimension}, {spec}, {metric}");
        }

        return new GraphVectorIndex(spec, graph, options);
    }

    public IVectorIndex CopyWithRoomFor(long capacity, IndexingOptions options) =>
        new GraphVectorIndex(Spec, _graph.CopyWithRoomFor((int)Math.Clamp(capacity, 1, int.MaxValue), Spec.EfConstructionOr(options.HnswEfConstruction)), options);

    public void Train(ReadOnlySpan<float> sample)
    {
    }

    public void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        _graph.Add(ids, vectors, _addThreads);
        Volatile.Write(ref _memoryBytes, -1);
    }

    public int Search(ReadOnlySpan<float> query, int k, IndexSearchParameters parameters, RowFilter? allowed, Span<long> ids, Span<float> scores)
    {
        var ef = parameters.EfSearch > 0 ? parameters.EfSearch : _defaultEfSearch;
        var found = _graph.Search(query, k, Math.Max(ef, k), allowed is null ? default : allowed.Words.Span, allowed is not null, ids, scores);
        for (var i = 0; i < found; i++)
        {
            scores[i] = -scores[i];
        }

        return found;
    }

    // The graph's nodes, links and vectors as serialized: computed once, again only after an Add.
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

    public void Dispose()
    {
    }

    private static GraphMetric MetricOf(Metric metric) => metric == Metric.L2 ? GraphMetric.SquaredL2 : GraphMetric.InnerProduct;

    private static void CheckSpec(IndexSpec spec)
    {
        if (spec.Kind != IndexKind.Hnsw)
        {
            throw new ArgumentException($"{spec} is not a float32 HNSW spec", nameof(spec));
        }
    }
}

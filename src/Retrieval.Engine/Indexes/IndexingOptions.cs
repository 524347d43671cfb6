namespace Retrieval.Engine.Indexes;

/// <summary>
/// Segments, background index builds and snapshots. Bound from the <c>Retrieval:Indexing</c> configuration section.
/// </summary>
public sealed class IndexingOptions
{
    public const string SectionName = "Retrieval:Indexing";

    /// <summary>
    /// The appendable (exact) segment of a space with an index spec is sealed and indexed once it holds this many
    /// vectors. Default 10000. Searches scan at most this many unindexed vectors per space.
    /// </summary>
    public int SealThreshold { get; set; } = 10_000;

    /// <summary>More sealed segments than this in a space makes the optimizer merge the two smallest. Default 8.</summary>
    public int MaxSealedSegments { get; set; } = 8;

    /// <summary>
    /// Sealed segments of an HNSW space are merged in the background into the graph of its largest segment (their rows
    /// inserted into a copy of that graph, not rebuilt), up to <see cref="MaxSegmentVectors"/>, so a space fed as a
    /// stream ends as one graph with the quality of a bulk build instead of one small graph per sealed segment.
    /// Default true.
    /// </summary>
    public bool MergeIntoLargestGraph { get; set; } = true;

    /// <summary>Merges never produce a segment larger than this many vectors. Default 5000000.</summary>
    public int MaxSegmentVectors { get; set; } = 5_000_000;

    /// <summary>A sealed segment whose deleted/updated fraction reaches this is rebuilt without them. Default 0.2.</summary>
    public double TombstoneRebuildFraction { get; set; } = 0.2;

    /// <summary>HNSW efSearch when a request names none. Default 64 (raised to k when smaller).</summary>
    public int DefaultEfSearch { get; set; } = 64;

    /// <summary>
    /// Which library holds float32 HNSW graphs (HNSW specs without SQ8, which is always USearch's). Default
    /// <see cref="Indexes.HnswLibrary.Retrieval"/>, the engine's own graph; <see cref="Indexes.HnswLibrary.USearch"/>
    /// is the earlier one, kept for comparison. Only new builds follow it: a snapshot is read by the library that wrote it.
    /// </summary>
    public HnswLibrary HnswLibrary { get; set; } = HnswLibrary.Retrieval;

    /// <summary>HNSW efConstruction (the candidate list of an insertion). Default 64.</summary>
    public int HnswEfConstruction { get; set; } = 64;

    /// <summary>IVF lists probed when a request names none. Default 16.</summary>
    public int DefaultNProbe { get; set; } = 16;

    /// <summary>
    /// Quantized indexes (SQ8, PQ) fetch this many times k candidates, which are then re-scored exactly from the
    /// stored float rows (Faiss's "refine" step). Default 4.
    /// </summary>
    public int RefineFactor { get; set; } = 4;

    /// <summary>Training sample per IVF list (k-means points per centroid); also caps nlist on small segments. Default 64.</summary>
    public int TrainingPointsPerList { get; set; } = 64;

    /// <summary>Largest training sample. Default 100000.</summary>
    public int MaxTrainingSample { get; set; } = 100_000;

    /// <summary>Seed of the training sample, so a rebuild of the same rows trains the same index. Default 20261127.</summary>
    public int TrainingSeed { get; set; } = 20261127;

    /// <summary>
    /// Threads of an index build: those adding vectors to an HNSW graph, and the OpenMP threads of Faiss's training and
    /// adding (set on the building thread only, so searches keep <see cref="FaissThreads"/>). Default: half the
    /// processors, at least 1.
    /// </summary>
    public int BuildThreads { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Shards that may run an optimizer job (seal, build, merge) at the same time; each shard runs one at a time. 0 (the
    /// default) means as many as fit the processors: processors ÷ <see cref="BuildThreads"/>, at least 1. Builds then
    /// may use every core while they run; searches share the cores with them.
    /// </summary>
    public int ConcurrentBuilds
    {
        get => _concurrentBuilds > 0 ? _concurrentBuilds : Math.Max(1, Environment.ProcessorCount / Math.Max(1, BuildThreads));
        set => _concurrentBuilds = value;
    }

    private int _concurrentBuilds;

    /// <summary>
    /// OpenMP threads of Faiss calls that name none (process-wide; 0 = OpenMP's default, every core). Default 1. The
    /// engine's own calls name theirs: each search is one query on one thread (a batch is spread over the cores by the
    /// engine), and builds use <see cref="BuildThreads"/>.
    /// </summary>
    public int FaissThreads { get; set; } = 1;

    /// <summary>Searches that may run inside one USearch graph at once. Default 64.</summary>
    public int SearchThreadsPerIndex { get; set; } = 64;

    /// <summary>
    /// A filtered search scans a segment exactly instead of walking its index when the filter allows at most this
    /// fraction of the segment's vectors (graph and IVF searches lose recall on very selective filters). Default 0.02.
    /// </summary>
    public double FilteredExactFraction { get; set; } = 0.02;

    /// <summary>
    /// Run the optimizer as a background task. Default true; embedders (tests, benchmarks) may turn it off and call
    /// <c>RetrievalEngine.RunOptimizerUntilIdle</c> to build at chosen moments.
    /// </summary>
    public bool BackgroundOptimizer { get; set; } = true;

    /// <summary>How often the optimizer looks for work when no write woke it, in milliseconds. Default 1000.</summary>
    public int OptimizerIntervalMs { get; set; } = 1000;

    /// <summary>Where snapshots are written; null or empty turns snapshots off. The server sets <c>{DataDirectory}/snapshots</c>.</summary>
    public string? SnapshotDirectory { get; set; }

    /// <summary>
    /// Where shard snapshots are kept: <see cref="SnapshotLocation.Directory"/> (default) in <see cref="SnapshotDirectory"/>,
    /// or <see cref="SnapshotLocation.Store"/> in the store of record (PostgreSQL only), so that every node of a cluster loads
    /// the snapshot any node wrote; <see cref="SnapshotDirectory"/> then only stages files on their way in and out.
    /// </summary>
    public SnapshotLocation SnapshotLocation { get; set; } = SnapshotLocation.Directory;

    /// <summary>Write the shard's snapshot after every finished build. Default true.</summary>
    public bool SnapshotAfterBuild { get; set; } = true;

    /// <summary>
    /// On a graceful shutdown, write the snapshot of every shard changed since its last one, so that a clean
    /// restart replays nothing and rebuilds nothing. Default true.
    /// </summary>
    public bool SnapshotAtShutdown { get; set; } = true;

    internal void Validate()
    {
        if (SealThreshold < 1 || MaxSealedSegments < 1 || MaxSegmentVectors < SealThreshold || DefaultEfSearch < 1 ||
            HnswEfConstruction < 1 || DefaultNProbe < 1 || TrainingPointsPerList < 1 || MaxTrainingSample < 1 ||
            BuildThreads < 1 || _concurrentBuilds < 0 || SearchThreadsPerIndex < 1 || RefineFactor < 1 || FaissThreads < 0 || OptimizerIntervalMs < 1 ||
            TombstoneRebuildFraction is <= 0 or > 1 || FilteredExactFraction is < 0 or > 1 || !Enum.IsDefined(HnswLibrary))
        {
            throw new ArgumentException("Retrieval:Indexing has an out-of-range value; see docs/operations.md");
        }
    }
}

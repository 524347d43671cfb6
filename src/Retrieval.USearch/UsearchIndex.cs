namespace Retrieval.USearch;

/// <summary>
/// A USearch HNSW graph over the C library of the Cloud.Unum.USearch package, storing caller-chosen 64-bit keys.
/// </summary>
/// <remarks>
/// <para>Why our own binding: the package's C# class cannot reserve capacity and thread slots for parallel adds,
/// change the search expansion after creation, or search with a predicate; the C library can.</para>
/// <para>Thread-safety: USearch hands each concurrent call a thread slot; more callers than slots is undefined
/// behaviour in the library. <see cref="Add"/> callers must not exceed the <c>threads</c> given to
/// <see cref="Reserve"/>; searches are bounded here by a semaphore of <see cref="SearchThreads"/> permits.
/// The expansion used by a search is an index-level setting in the C API, so a search that asks for another
/// value switches it under a write lock: searches with one expansion run concurrently, switches serialize.</para>
/// </remarks>
public sealed partial class UsearchIndex : IDisposable
{
    private readonly UsearchIndexHandle _handle;
    private readonly ReaderWriterLockSlim _expansionLock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _searchSlots;
    private readonly int _defaultExpansion;
    private int _expansion;
    private int _disposed;

    private UsearchIndex(UsearchIndexHandle handle, int dimension, UsearchMetric metric, UsearchScalar scalar, int expansion, int searchThreads)
    {
        _handle = handle;
        Dimension = dimension;
        Metric = metric;
        Scalar = scalar;
        _defaultExpansion = expansion;
        _expansion = expansion;
        SearchThreads = searchThreads;
        _searchSlots = new SemaphoreSlim(searchThreads, searchThreads);
    }

    public int Dimension { get; }

    public UsearchMetric Metric { get; }

    public UsearchScalar Scalar { get; }

    /// <summary>Most searches that run inside the library at once; further callers wait for a slot.</summary>
    public int SearchThreads { get; }

    /// <summary>The graph's build-time candidate list (HNSW efConstruction) that adds use.</summary>
    public int ExpansionAdd
    {
        get
        {
            var expansion = NativeMethods.usearch_expansion_add(_handle, out var error);
            UsearchException.ThrowIfFailed(error);
            return (int)expansion;
        }
    }

    /// <summary>
    /// Sets the efConstruction later adds use. A graph read by <see cref="Deserialize"/> needs it before it grows: the
    /// serialized form does not carry it.
    /// </summary>
    public void ChangeExpansionAdd(int expansion)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expansion);
        NativeMethods.usearch_change_expansion_add(_handle, (nuint)expansion, out var error);
        UsearchException.ThrowIfFailed(error);
    }

    /// <summary>Number of vectors in the graph.</summary>
    public long Count
    {
        get
        {
            var size = NativeMethods.usearch_size(_handle, out var error);
            UsearchException.ThrowIfFailed(error);
            return (long)size;
        }
    }

    /// <summary>
    /// Bytes <see cref="Serialize"/> would produce, computed without serializing: the graph's nodes (keys, levels,
    /// neighbour lists) and its vectors as they are laid out in memory, less allocator reserve. USearch's own
    /// <c>usearch_memory_usage</c> counts its arenas whole (they start at 4 MiB and double) and every search thread's
    /// context, about 16 MiB for a graph of a few hundred vectors, mostly address space never touched.
    /// </summary>
    public long SerializedLength
    {
        get
        {
            var length = NativeMethods.usearch_serialized_length(_handle, out var error);
            UsearchException.ThrowIfFailed(error);
            return (long)length;
        }
    }

    /// <summary>
    /// Creates an empty graph. <paramref name="connectivity"/> is HNSW's M; <paramref name="expansionAdd"/> is
    /// efConstruction; <paramref name="expansionSearch"/> the default efSearch.
    /// </summary>
    public static unsafe UsearchIndex Create(
        int dimension,
        UsearchMetric metric,
        UsearchScalar scalar,
        int connectivity,
        int expansionAdd,
        int expansionSearch,
        int searchThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(connectivity, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expansionAdd);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expansionSearch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(searchThreads);
        var options = new NativeMethods.InitOptions
        {
            MetricKind = metric switch
            {
                UsearchMetric.InnerProduct => NativeMethods.MetricIp,
                UsearchMetric.Cosine => NativeMethods.MetricCos,
                UsearchMetric.SquaredL2 => NativeMethods.MetricL2sq,
                _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown metric"),
            },
            Quantization = scalar switch
            {
                UsearchScalar.F32 => NativeMethods.ScalarF32,
                UsearchScalar.F16 => NativeMethods.ScalarF16,
                UsearchScalar.I8 => NativeMethods.ScalarI8,
                _ => throw new ArgumentOutOfRangeException(nameof(scalar), scalar, "unknown scalar kind"),
            },
            Dimensions = (nuint)dimension,
            Connectivity = (nuint)connectivity,
            ExpansionAdd = (nuint)expansionAdd,
            ExpansionSearch = (nuint)expansionSearch,
        };
        var pointer = NativeMethods.usearch_init(&options, out var error);
        if (error != 0 && pointer != 0)
        {
            NativeMethods.usearch_free(pointer, out _);
        }

        UsearchException.ThrowIfFailed(error);
        if (pointer == 0)
        {
            throw new UsearchException("usearch_init returned no index");
        }

        var index = new UsearchIndex(new UsearchIndexHandle(pointer), dimension, metric, scalar, expansionSearch, searchThreads);
        index.SetThreads(1, searchThreads);
        return index;
    }

    /// <summary>Reserves room for <paramref name="capacity"/> vectors and <paramref name="addThreads"/> concurrent adders.</summary>
    public void Reserve(long capacity, int addThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(addThreads);
        NativeMethods.usearch_reserve(_handle, (nuint)capacity, out var error);
        UsearchException.ThrowIfFailed(error);
        SetThreads(addThreads, SearchThreads);
    }

    /// <summary>Adds one vector under <paramref name="key"/>. Safe to call from up to the reserved number of threads.</summary>
    public unsafe void Add(ulong key, ReadOnlySpan<float> vector)
    {
        CheckDimension(vector, nameof(vector));
        fixed (float* x = vector)
        {
            NativeMethods.usearch_add(_handle, key, x, NativeMethods.ScalarF32, out var error);
            UsearchException.ThrowIfFailed(error);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _expansionLock.EnterWriteLock();
        try
        {
            _handle.Dispose();
        }
        finally
        {
            _expansionLock.ExitWriteLock();
        }

        _expansionLock.Dispose();
        _searchSlots.Dispose();
    }

    private void SetThreads(int addThreads, int searchThreads)
    {
        NativeMethods.usearch_change_threads_add(_handle, (nuint)addThreads, out var error);
        UsearchException.ThrowIfFailed(error);
        NativeMethods.usearch_change_threads_search(_handle, (nuint)searchThreads, out error);
        UsearchException.ThrowIfFailed(error);
    }

    private void CheckDimension(ReadOnlySpan<float> vector, string paramName)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"expected {Dimension} components, got {vector.Length}", paramName);
        }
    }
}

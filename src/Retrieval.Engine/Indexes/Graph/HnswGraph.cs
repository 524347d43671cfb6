using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Engine.Indexes.Graph;

/// <summary>
/// A hierarchical navigable small-world graph (Malkov and Yashunin) over float32 vectors, built by insertion.
/// <para>
/// Neighbour selection keeps the paper's diversity heuristic and then fills the list up to three quarters of its
/// capacity with the candidates the heuristic pruned, nearest first (the paper's <c>keepPrunedConnections</c>; pgvector
/// fills to the full capacity, hnswlib and USearch keep none), and a new node takes up to 2·M neighbours on layer 0, the
/// capacity of that layer. On real
/// embeddings (fastText, M = 16, efConstruction = 64) this reaches recall@10 0.95 at efSearch 128 where the pruned
/// graphs of hnswlib and USearch need 384 (docs/benchmarks.md, issue 16 item 2).
/// </para>
/// <para>
/// Nodes are numbered in insertion order; each carries a 64-bit key (the segment's row number). Layer 0 lives in one
/// flat array (a count and 2·M slots per node), the upper layers in one small array per node that has them. Adds run on
/// several threads with one lock per stripe of nodes; searches run concurrently with each other but not with adds.
/// </para>
/// </summary>
internal sealed partial class HnswGraph
{
    private const int LockStripes = 1 << 12;

    private readonly int _dimension;
    private readonly int _vectorBytes;
    private readonly int _m;
    private readonly int _m0;
    private readonly GraphMetric _metric;
    private readonly double _levelMultiplier;
    private readonly object[] _locks;
    private readonly object _entryLock = new();
    private readonly Random _levels;

    private NodeArray<float> _vectors;
    private long[] _keys;
    private byte[] _nodeLevels;
    private NodeArray<int> _level0;
    private int[]?[] _upper;
    private int _count;
    private int _entry = -1;
    private int _maxLevel = -1;

    public HnswGraph(int dimension, int m, int efConstruction, GraphMetric metric, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(efConstruction);
        _dimension = dimension;
        _vectorBytes = dimension * sizeof(float);
        _m = m;
        _m0 = 2 * m;
        EfConstruction = efConstruction;
        _metric = metric;
        _levelMultiplier = 1 / Math.Log(m);
        _locks = new object[LockStripes];
        for (var i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new object();
        }

        // Levels drawn from a fixed seed, in node order, so the same rows added in the same batches get the same levels.
        _levels = new Random(LevelSeed);
        capacity = Math.Max(capacity, 1);
        _vectors = new NodeArray<float>(dimension, capacity);
        _keys = new long[capacity];
        _nodeLevels = new byte[capacity];
        _level0 = new NodeArray<int>(_m0 + 1, capacity);
        _upper = new int[]?[capacity];
    }

    private const int LevelSeed = 20261207;

    // Pruned candidates fill a list up to three quarters of its capacity; the last quarter is left to the links of later
    // nodes. Measured (docs/benchmarks.md, issue 16 item 2): filling to 100 % gives the same recall per efSearch on
    // fastText and about 0.01 less at efSearch 32 on the clustered synthetic set, where the lists fill with near-duplicates
    // of one cluster.
    private const int KeptPrunedPercent = 75;

    public int Dimension => _dimension;

    public int M => _m;

    public int EfConstruction { get; set; }

    public GraphMetric Metric => _metric;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Adds vectors (row-major) under the given keys, inserting them on up to <paramref name="threads"/> threads.
    /// One caller at a time, and no search meanwhile.
    /// </summary>
    public void Add(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, int threads)
    {
        if (vectors.Length != (long)keys.Length * _dimension)
        {
            throw new ArgumentException($"{keys.Length} keys need {(long)keys.Length * _dimension} floats, got {vectors.Length}", nameof(vectors));
        }

        if (keys.IsEmpty)
        {
            return;
        }

        var first = _count;
        EnsureCapacity(first + keys.Length);
        keys.CopyTo(_keys.AsSpan(first));
        for (var i = 0; i < keys.Length; i++)
        {
            vectors.Slice(i * _dimension, _dimension).CopyTo(_vectors.Of(first + i));
            var level = DrawLevel();
            _nodeLevels[first + i] = (byte)level;
            _upper[first + i] = level == 0 ? null : new int[level * (_m + 1)];
        }

        Volatile.Write(ref _count, first + keys.Length);
        var start = first;
        if (_entry < 0)
        {
            Insert(start++);
        }

        if (threads <= 1 || first + keys.Length - start < 2 * threads)
        {
            for (var node = start; node < first + keys.Length; node++)
            {
                Insert(node);
            }
        }
        else
        {
            Parallel.For(start, first + keys.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, Insert);
        }
    }

    /// <summary>
    /// Writes up to <paramref name="k"/> nearest keys and their distances (lower is better), nearest first, and
    /// returns how many. With <paramref name="allowedKeys"/>, only keys whose bit is set are returned (key i: bit i % 64
    /// of word i / 64; keys past the end are excluded); the others are still walked through.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, int ef, ReadOnlySpan<ulong> allowedKeys, bool filtered, Span<long> keys, Span<float> distances)
    {
        if (query.Length != _dimension)
        {
            throw new ArgumentException($"query has {query.Length} dimensions, the graph {_dimension}", nameof(query));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (_entry < 0)
        {
            return 0;
        }

        ref var q = ref MemoryMarshal.GetReference(query);
        var current = _entry;
        var currentDistance = DistanceTo(ref q, current);
        for (var layer = _maxLevel; layer > 0; layer--)
        {
            Descend(ref q, ref current, ref currentDistance, layer, locked: false);
        }

        var scratch = GraphScratch.ForThisThread();
        WalkLayer(ref q, current, currentDistance, Math.Max(ef, k), 0, locked: false, allowedKeys, filtered, scratch);
        var results = scratch.Results;
        while (results.Count > k)
        {
            results.Pop();
        }

        var found = results.Count;
        for (var i = found - 1; i >= 0; i--)
        {
            var hit = results.Pop();
            keys[i] = _keys[hit.Node];
            distances[i] = hit.Distance;
        }

        return found;
    }

    /// <summary>How many neighbours <paramref name="node"/> has on <paramref name="layer"/> (for tests and diagnostics).</summary>
    internal int NeighbourCount(int node, int layer) => LinksOf(node, layer)[0];

    private void Insert(int node)
    {
        var level = (int)_nodeLevels[node];
        int entry;
        int entryLevel;
        lock (_entryLock)
        {
            entry = _entry;
            entryLevel = _maxLevel;
            if (entry < 0)
            {
                _entry = node;
                _maxLevel = level;
                return;
            }
        }

        ref var q = ref VectorOf(node);
        var current = entry;
        var currentDistance = DistanceTo(ref q, current);
        for (var layer = entryLevel; layer > level; layer--)
        {
            Descend(ref q, ref current, ref currentDistance, layer, locked: true);
        }

        var scratch = GraphScratch.ForThisThread();
        Span<GraphCandidate> chosen = stackalloc GraphCandidate[_m0];
        for (var layer = Math.Min(level, entryLevel); layer >= 0; layer--)
        {
            WalkLayer(ref q, current, currentDistance, EfConstruction, layer, locked: true, default, filtered: false, scratch);
            var candidates = scratch.Candidates;
            candidates.Clear();
            while (scratch.Results.Count > 0)
            {
                candidates.Add(scratch.Results.Pop());
            }

            candidates.Reverse();
            current = candidates[0].Node;
            currentDistance = candidates[0].Distance;

            var capacity = layer == 0 ? _m0 : _m;
            var selected = SelectNeighbours(candidates, capacity, scratch);
            var count = selected.Count;
            for (var i = 0; i < count; i++)
            {
                chosen[i] = selected[i];
            }

            lock (LockOf(node))
            {
                var links = LinksOf(node, layer);
                links[0] = count;
                for (var i = 0; i < count; i++)
                {
                    links[1 + i] = chosen[i].Node;
                }
            }

            for (var i = 0; i < count; i++)
            {
                LinkBack(chosen[i].Node, node, chosen[i].Distance, layer, scratch);
            }
        }

        if (level > entryLevel)
        {
            lock (_entryLock)
            {
                if (level > _maxLevel)
                {
                    _entry = node;
                    _maxLevel = level;
                }
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="node"/> to <paramref name="target"/>'s list on a layer; a full list is re-selected from its
    /// members and the new node with the same heuristic, so it stays full.
    /// </summary>
    private void LinkBack(int target, int node, float distance, int layer, GraphScratch scratch)
    {
        var capacity = layer == 0 ? _m0 : _m;
        lock (LockOf(target))
        {
            var links = LinksOf(target, layer);
            var count = links[0];
            if (count < capacity)
            {
                links[1 + count] = node;
                links[0] = count + 1;
                return;
            }

            ref var t = ref VectorOf(target);
            var candidates = scratch.Relink;
            candidates.Clear();
            for (var i = 0; i < count; i++)
            {
                candidates.Add(new GraphCandidate(DistanceTo(ref t, links[1 + i]), links[1 + i]));
            }

            candidates.Add(new GraphCandidate(distance, node));
            candidates.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
            var selected = SelectNeighbours(candidates, capacity, scratch);
            links[0] = selected.Count;
            for (var i = 0; i < selected.Count; i++)
            {
                links[1 + i] = selected[i].Node;
            }
        }
    }

    /// <summary>
    /// Chooses up to <paramref name="capacity"/> neighbours from candidates sorted nearest first: a candidate is kept
    /// when it is nearer to the node than to every neighbour kept before it (the diversity heuristic); then the list is
    /// filled up to its capacity with the candidates that test pruned, nearest first.
    /// </summary>
    private List<GraphCandidate> SelectNeighbours(List<GraphCandidate> candidates, int capacity, GraphScratch scratch)
    {
        var selected = scratch.Selection;
        var pruned = scratch.Pruned;
        selected.Clear();
        pruned.Clear();
        if (candidates.Count <= capacity)
        {
            selected.AddRange(candidates);
            return selected;
        }

        foreach (var candidate in candidates)
        {
            if (selected.Count >= capacity)
            {
                break;
            }

            ref var c = ref VectorOf(candidate.Node);
            var diverse = true;
            foreach (var kept in selected)
            {
                if (DistanceTo(ref c, kept.Node) < candidate.Distance)
                {
                    diverse = false;
                    break;
                }
            }

            if (diverse)
            {
                selected.Add(candidate);
            }
            else
            {
                pruned.Add(candidate);
            }
        }

        var fill = capacity * KeptPrunedPercent / 100;
        for (var i = 0; i < pruned.Count && selected.Count < fill; i++)
        {
            selected.Add(pruned[i]);
        }

        return selected;
    }

    /// <summary>Greedy walk on an upper layer: moves to the nearest neighbour until none is nearer.</summary>
    private void Descend(ref float q, ref int current, ref float currentDistance, int layer, bool locked)
    {
        var scratch = locked ? GraphScratch.ForThisThread() : null;
        bool moved;
        do
        {
            moved = false;
            var neighbours = NeighboursOf(current, layer, locked, scratch);
            foreach (var neighbour in neighbours)
            {
                var distance = DistanceTo(ref q, neighbour);
                if (distance < currentDistance)
                {
                    currentDistance = distance;
                    current = neighbour;
                    moved = true;
                }
            }
        }
        while (moved);
    }

    /// <summary>
    /// The best-first beam search of one layer from one entry: leaves the <paramref name="ef"/> nearest (allowed) nodes
    /// found in <c>scratch.Results</c>, farthest on top.
    /// </summary>
    private void WalkLayer(ref float q, int entry, float entryDistance, int ef, int layer, bool locked, ReadOnlySpan<ulong> allowedKeys, bool filtered, GraphScratch scratch)
    {
        scratch.StartWalk(Volatile.Read(ref _count));
        var frontier = scratch.Frontier;
        var results = scratch.Results;
        scratch.Visit(entry);
        frontier.Push(entryDistance, entry);
        if (!filtered || IsAllowed(entry, allowedKeys))
        {
            results.Push(entryDistance, entry);
        }

        var bound = results.Count > 0 ? results.Top.Distance : float.PositiveInfinity;
        while (frontier.Count > 0)
        {
            var nearest = frontier.Top;
            if (nearest.Distance > bound && results.Count >= ef)
            {
                break;
            }

            frontier.Pop();
            var neighbours = NeighboursOf(nearest.Node, layer, locked, scratch);

            // The unvisited neighbours first, their vectors asked for from memory while the rest are sorted out: a
            // walk spends most of its time waiting for vectors that are not in cache.
            var fresh = scratch.FreshBuffer(neighbours.Length);
            var freshCount = 0;
            foreach (var neighbour in neighbours)
            {
                if (scratch.Visit(neighbour))
                {
                    fresh[freshCount++] = neighbour;
                    Prefetch(neighbour);
                }
            }

            for (var i = 0; i < freshCount; i++)
            {
                var neighbour = fresh[i];
                var distance = DistanceTo(ref q, neighbour);
                if (results.Count < ef || distance < bound)
                {
                    frontier.Push(distance, neighbour);
                    if (!filtered || IsAllowed(neighbour, allowedKeys))
                    {
                        results.Push(distance, neighbour);
                        if (results.Count > ef)
                        {
                            results.Pop();
                        }

                        bound = results.Top.Distance;
                    }
                }
            }
        }
    }

    /// <summary>
    /// A node's neighbours on a layer. While adds run (<paramref name="locked"/>), a copy taken under the node's lock;
    /// otherwise the list itself.
    /// </summary>
    private ReadOnlySpan<int> NeighboursOf(int node, int layer, bool locked, GraphScratch? scratch)
    {
        if (!locked)
        {
            var links = LinksOf(node, layer);
            return links.Slice(1, links[0]);
        }

        var buffer = scratch!.NeighbourBuffer(_m0);
        lock (LockOf(node))
        {
            var links = LinksOf(node, layer);
            var count = links[0];
            links.Slice(1, count).CopyTo(buffer);
            return buffer.AsSpan(0, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> LinksOf(int node, int layer) => layer == 0
        ? _level0.Of(node)
        : _upper[node].AsSpan((layer - 1) * (_m + 1), _m + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref float VectorOf(int node) => ref _vectors.At(node);

    /// <summary>Asks for a node's vector to be brought into cache (a hint: no effect where the CPU has no prefetch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void Prefetch(int node)
    {
        if (Sse.IsSupported)
        {
            var address = (byte*)Unsafe.AsPointer(ref VectorOf(node));
            for (var line = 0; line < _vectorBytes; line += 64)
            {
                Sse.Prefetch0(address + line);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float DistanceTo(ref float q, int node) => GraphDistance.Distance(_metric, ref q, ref VectorOf(node), _dimension);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAllowed(int node, ReadOnlySpan<ulong> allowedKeys)
    {
        var key = (ulong)_keys[node];
        var word = key >> 6;
        return word < (ulong)allowedKeys.Length && (allowedKeys[(int)word] & (1UL << (int)(key & 63))) != 0;
    }

    private object LockOf(int node) => _locks[node & (LockStripes - 1)];

    private int DrawLevel()
    {
        var level = (int)(-Math.Log(1 - _levels.NextDouble()) * _levelMultiplier);
        return Math.Min(level, MaxLevel);
    }

    // 2^-(16·ln 16) of nodes reach it at M = 16; a cap keeps a node's level in one byte.
    private const int MaxLevel = 32;

    private void EnsureCapacity(int nodes)
    {
        if (nodes <= _keys.Length)
        {
            return;
        }

        var capacity = Math.Max(nodes, _keys.Length + (_keys.Length >> 1));
        _vectors.EnsureNodes(capacity);
        _level0.EnsureNodes(capacity);
        Array.Resize(ref _keys, capacity);
        Array.Resize(ref _nodeLevels, capacity);
        Array.Resize(ref _upper, capacity);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Retrieval.Engine.Indexes.Graph;

/// <summary>A node and its distance to the vector being searched for.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct GraphCandidate(float Distance, int Node);

/// <summary>
/// A binary heap of candidates over a growable array. <c>nearestOnTop</c> true keeps the nearest first (the frontier
/// still to expand), false the farthest first (the best <c>ef</c> found so far, whose farthest is the bound to beat).
/// </summary>
internal sealed class CandidateHeap(bool nearestOnTop)
{
    private GraphCandidate[] _items = new GraphCandidate[64];

    public int Count { get; private set; }

    public GraphCandidate Top => _items[0];

    public void Clear() => Count = 0;

    public void Push(float distance, int node)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var items = _items;
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Before(distance, items[parent].Distance))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = new GraphCandidate(distance, node);
    }

    public GraphCandidate Pop()
    {
        var items = _items;
        var top = items[0];
        var last = items[--Count];
        var n = Count;
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Before(items[child + 1].Distance, items[child].Distance))
            {
                child++;
            }

            if (!Before(items[child].Distance, last.Distance))
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        if (n > 0)
        {
            items[i] = last;
        }

        return top;
    }

    /// <summary>The items in heap order (not sorted).</summary>
    public Span<GraphCandidate> Items => _items.AsSpan(0, Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Before(float a, float b) => nearestOnTop ? a < b : a > b;
}

/// <summary>
/// Per-thread working memory of graph walks: the visited marks (one stamp per node, so starting a walk is a counter
/// increment, not a clear), the two heaps, and buffers for neighbour lists. Reused across searches on a thread, so a
/// search allocates nothing.
/// </summary>
internal sealed class GraphScratch
{
    [ThreadStatic]
    private static GraphScratch? t_current;

    // 16-bit stamps: half the cache footprint of 32-bit ones on a graph of a few hundred thousand nodes.
    private ushort[] _stamps = [];
    private ushort _stamp;

    public CandidateHeap Frontier { get; } = new(nearestOnTop: true);

    public CandidateHeap Results { get; } = new(nearestOnTop: false);

    /// <summary>A layer walk's results, nearest first, while a node is inserted.</summary>
    public List<GraphCandidate> Candidates { get; } = new(64);

    /// <summary>A full neighbour list and the new node, while it is re-selected.</summary>
    public List<GraphCandidate> Relink { get; } = new(64);

    public List<GraphCandidate> Selection { get; } = new(64);

    public List<GraphCandidate> Pruned { get; } = new(64);

    public int[] Neighbours { get; private set; } = new int[64];

    public static GraphScratch ForThisThread() => t_current ??= new GraphScratch();

    /// <summary>Starts a walk over a graph of <paramref name="nodes"/> nodes: every node unvisited.</summary>
    public void StartWalk(int nodes)
    {
        if (_stamps.Length < nodes)
        {
            _stamps = new ushort[Math.Max(nodes, _stamps.Length + (_stamps.Length >> 1))];
            _stamp = 0;
        }

        if (++_stamp == ushort.MaxValue)
        {
            Array.Clear(_stamps);
            _stamp = 1;
        }

        Frontier.Clear();
        Results.Clear();
    }

    /// <summary>Marks the node visited; false when it already was in this walk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Visit(int node)
    {
        ref var stamp = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_stamps), node);
        if (stamp == _stamp)
        {
            return false;
        }

        stamp = _stamp;
        return true;
    }

    private int[] _fresh = new int[64];

    /// <summary>Room for the unvisited neighbours of one node.</summary>
    public int[] FreshBuffer(int length)
    {
        if (_fresh.Length < length)
        {
            _fresh = new int[length];
        }

        return _fresh;
    }

    public int[] NeighbourBuffer(int length)
    {
        if (Neighbours.Length < length)
        {
            Neighbours = new int[length];
        }

        return Neighbours;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Retrieval.Engine.Indexes.Graph;

/// <summary>
/// A fixed number of elements per node, in pages of 2^16 nodes: a graph of millions of wide vectors exceeds one .NET
/// array's length, and growing adds pages instead of copying everything. Only the last page is sized to what is used, so
/// a small graph takes no more than it needs.
/// </summary>
internal sealed class NodeArray<T>
    where T : unmanaged
{
    private const int PageShift = 16;
    private const int PageNodes = 1 << PageShift;

    private T[][] _pages = [];

    public NodeArray(int width, int nodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
        EnsureNodes(nodes);
    }

    /// <summary>Elements per node.</summary>
    public int Width { get; }

    /// <summary>Nodes there is room for.</summary>
    public int Capacity { get; private set; }

    /// <summary>Makes room for at least <paramref name="nodes"/> nodes (the last page grows by half again at least).</summary>
    public void EnsureNodes(int nodes)
    {
        if (nodes <= Capacity)
        {
            return;
        }

        var target = Math.Max(nodes, Capacity + (Capacity >> 1));
        var pages = (target + PageNodes - 1) >> PageShift;
        if (pages > _pages.Length)
        {
            Array.Resize(ref _pages, pages);
        }

        for (var page = 0; page < pages; page++)
        {
            var nodesInPage = Math.Min(PageNodes, target - (page << PageShift));
            var length = nodesInPage * Width;
            if (_pages[page] is null)
            {
                _pages[page] = new T[length];
            }
            else if (_pages[page].Length < length)
            {
                Array.Resize(ref _pages[page], length);
            }
        }

        Capacity = target;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T At(int node) => ref Unsafe.Add(
        ref MemoryMarshal.GetArrayDataReference(_pages[node >> PageShift]), (nint)(node & (PageNodes - 1)) * Width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Of(int node) => MemoryMarshal.CreateSpan(ref At(node), Width);

    /// <summary>The elements of nodes [0, <paramref name="nodes"/>), page by page.</summary>
    public IEnumerable<ReadOnlyMemory<T>> Used(int nodes)
    {
        for (var page = 0; (page << PageShift) < nodes; page++)
        {
            yield return _pages[page].AsMemory(0, Math.Min(PageNodes, nodes - (page << PageShift)) * Width);
        }
    }

    /// <summary>A copy of nodes [0, <paramref name="nodes"/>) with room for <paramref name="capacity"/>.</summary>
    public NodeArray<T> Copy(int nodes, int capacity)
    {
        var copy = new NodeArray<T>(Width, Math.Max(nodes, capacity));
        for (var page = 0; (page << PageShift) < nodes; page++)
        {
            var length = Math.Min(PageNodes, nodes - (page << PageShift)) * Width;
            _pages[page].AsSpan(0, length).CopyTo(copy._pages[page]);
        }

        return copy;
    }
}

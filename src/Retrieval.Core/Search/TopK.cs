namespace Retrieval.Core.Search;

/// <summary>
/// Keeps the k best <see cref="ScoredRow"/>s seen so far in a bounded min-heap (root = worst kept).
/// </summary>
public sealed class TopK
{
    private readonly ScoredRow[] _heap;
    private int _count;

    public TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _heap = new ScoredRow[k];
    }

    public int Count => _count;

    public int Capacity => _heap.Length;

    /// <summary>The score a candidate must beat once the heap is full; −∞ before.</summary>
    public float Threshold => _count < _heap.Length ? float.NegativeInfinity : _heap[0].Score;

    public void Add(int row, float score)
    {
        var candidate = new ScoredRow(row, score);
        if (_count < _heap.Length)
        {
            _heap[_count] = candidate;
            SiftUp(_count++);
        }
        else if (candidate.RanksBefore(_heap[0]))
        {
            _heap[0] = candidate;
            SiftDown(0);
        }
    }

    public void AddRange(ReadOnlySpan<ScoredRow> rows)
    {
        foreach (var row in rows)
        {
            Add(row.Row, row.Score);
        }
    }

    /// <summary>The kept rows, best first.</summary>
    public ScoredRow[] ToSortedArray()
    {
        var result = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(result, static (a, b) => a.RanksBefore(b) ? -1 : b.RanksBefore(a) ? 1 : 0);
        return result;
    }

    // Min-heap on rank: the parent ranks after (is worse than) its children.
    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!_heap[parent].RanksBefore(_heap[i]))
            {
                break;
            }

            (_heap[parent], _heap[i]) = (_heap[i], _heap[parent]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= _count)
            {
                return;
            }

            var worst = left;
            var right = left + 1;
            if (right < _count && _heap[left].RanksBefore(_heap[right]))
            {
                worst = right;
            }

            if (!_heap[i].RanksBefore(_heap[worst]))
            {
                return;
            }

            (_heap[i], _heap[worst]) = (_heap[worst], _heap[i]);
            i = worst;
        }
    }
}

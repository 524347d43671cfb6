using System.Numerics;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Offers row <paramref name="firstRow"/> + i with score <paramref name="scores"/>[i] for every set bit i of
    /// <paramref name="mask"/> (bits at or beyond <c>scores.Length</c> must be clear).
    /// </summary>
    /// <remarks>
    /// The scans' hot path. Callers must offer rows in increasing row order across calls: then a candidate whose
    /// score equals the threshold always ranks after the kept worst (higher row), so once the heap is full one
    /// vector compare "score &gt; threshold" per eight rows rejects almost everything without touching the heap.
    /// Scores are assumed not to be NaN.
    /// </remarks>
    internal void AddBlock(ReadOnlySpan<float> scores, int firstRow, ulong mask)
    {
        // Filling: every offered row is kept until the heap is full.
        while (_count < _heap.Length && mask != 0)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            _heap[_count] = new ScoredRow(firstRow + i, scores[i]);
            SiftUp(_count++);
        }

        var start = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var threshold = Vector256.Create(_heap[0].Score);
            for (; start + 8 <= scores.Length && mask >> start != 0; start += 8)
            {
                var lanes = (uint)(mask >> start) & 0xFF;
                if (lanes == 0)
                {
                    continue;
                }

                var better = Vector256.GreaterThan(Vector256.Create(scores.Slice(start, 8)), threshold).ExtractMostSignificantBits() & lanes;
                if (better != 0)
                {
                    ReplaceWhileBetter(scores, firstRow, (ulong)better << start);
                    threshold = Vector256.Create(_heap[0].Score);
                }
            }
        }

        if (start < 64 && mask >> start != 0)
        {
            ReplaceWhileBetter(scores, firstRow, mask >> start << start);
        }
    }

    /// <summary>Merges another partition's kept rows (any row order: uses the full ranking, ties included).</summary>
    internal void Merge(TopK other)
    {
        AddRange(other._heap.AsSpan(0, other._count));
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

    private void ReplaceWhileBetter(ReadOnlySpan<float> scores, int firstRow, ulong candidates)
    {
        while (candidates != 0)
        {
            var i = BitOperations.TrailingZeroCount(candidates);
            candidates &= candidates - 1;

            // Re-checked per row: the threshold rises as earlier rows of the same group replace the root.
            if (scores[i] > _heap[0].Score)
            {
                _heap[0] = new ScoredRow(firstRow + i, scores[i]);
                SiftDown(0);
            }
        }
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

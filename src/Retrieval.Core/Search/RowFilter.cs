namespace Retrieval.Core.Search;

/// <summary>A bitset over rows: a set bit means the row may be returned.</summary>
public sealed class RowFilter
{
    private readonly ulong[] _words;

    public RowFilter(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        RowCount = rowCount;
        _words = new ulong[(rowCount + 63) >> 6];
    }

    public int RowCount { get; }

    public void Set(int row) => _words[row >> 6] |= 1UL << (row & 63);

    /// <summary>Clears a row's bit (a tombstone in a sealed segment).</summary>
    public void Clear(int row) => _words[row >> 6] &= ~(1UL << (row & 63));

    /// <summary>Sets every row's bit.</summary>
    public void SetAll()
    {
        Array.Fill(_words, ulong.MaxValue);
        var tail = RowCount & 63;
        if (tail != 0)
        {
            _words[^1] = (1UL << tail) - 1;
        }
    }

    /// <summary>
    /// The bits, 64 rows a word (bit i of word w = row 64·w + i), for native id selectors. Bits at or beyond
    /// <see cref="RowCount"/> are never set by this class.
    /// </summary>
    public ReadOnlyMemory<ulong> Words => _words;

    public bool Contains(int row) => (uint)row < (uint)RowCount && (_words[row >> 6] & (1UL << (row & 63))) != 0;

    /// <summary>
    /// Rows [64·index, 64·index + 64) as a bit mask (bit i = row 64·index + i): zero past the end, and bits at or
    /// beyond <see cref="RowCount"/> cleared so that the scans agree with <see cref="Contains"/>.
    /// </summary>
    internal ulong Word(int index)
    {
        if ((uint)index >= (uint)_words.Length)
        {
            return 0;
        }

        var word = _words[index];
        var rowsInWord = RowCount - (index << 6);
        return rowsInWord >= 64 ? word : word & ((1UL << rowsInWord) - 1);
    }

    /// <summary>Number of set bits.</summary>
    public int Count()
    {
        var count = 0;
        foreach (var word in _words)
        {
            count += System.Numerics.BitOperations.PopCount(word);
        }

        return count;
    }
}

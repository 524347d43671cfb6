namespace Retrieval.Core.Search;

/// <summary>Splits rows into contiguous ranges for parallel scans.</summary>
internal static class RowRanges
{
    /// <summary>
    /// About <paramref name="parts"/> ranges covering [0, <paramref name="count"/>), each starting on a multiple of 64
    /// so that a range's filter words are its own and its blocks line up with them.
    /// </summary>
    public static (int Start, int End)[] Split(int count, int parts)
    {
        var words = (count + 63) >> 6;
        parts = Math.Clamp(parts, 1, Math.Max(words, 1));
        var ranges = new (int Start, int End)[parts];
        for (var p = 0; p < parts; p++)
        {
            var startWord = (int)((long)words * p / parts);
            var endWord = (int)((long)words * (p + 1) / parts);
            ranges[p] = (startWord << 6, Math.Min(endWord << 6, count));
        }

        return ranges;
    }
}

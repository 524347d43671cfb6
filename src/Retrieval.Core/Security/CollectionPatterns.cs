namespace Retrieval.Core.Security;

/// <summary>
/// The collections an API key may touch: a list of names and glob patterns where <c>*</c> matches any run of
/// characters (<c>docs*</c>, <c>*-eval</c>, <c>shop</c>). An empty list, or one holding <c>*</c>, means every collection.
/// </summary>
public sealed class CollectionPatterns
{
    /// <summary>Every collection.</summary>
    public static readonly CollectionPatterns All = new([]);

    private readonly string[] _patterns;

    public CollectionPatterns(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        _patterns = [.. patterns.Select(p => p.Trim()).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal)];
        IsUnrestricted = _patterns.Length == 0 || _patterns.Contains("*");
    }

    /// <summary>The patterns as given (empty for every collection).</summary>
    public IReadOnlyList<string> Patterns => _patterns;

    /// <summary>True when the key may touch every collection, including ones created later under any name.</summary>
    public bool IsUnrestricted { get; }

    /// <summary>Parses a comma-separated list (<c>docs*,shop</c>); empty or blank text means every collection.</summary>
    public static CollectionPatterns Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? All : new CollectionPatterns(text.Split(','));

    public bool Allows(ReadOnlySpan<char> collection)
    {
        if (IsUnrestricted)
        {
            return true;
        }

        foreach (var pattern in _patterns)
        {
            if (GlobMatch(pattern, collection))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => IsUnrestricted ? "*" : string.Join(',', _patterns);

    /// <summary>Ordinal glob match with <c>*</c> only (greedy with backtracking to the last star: linear for these sizes).</summary>
    private static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

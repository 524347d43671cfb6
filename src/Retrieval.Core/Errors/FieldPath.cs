using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Retrieval.Core.Errors;

/// <summary>
/// Where in a request a value sits, as data: a sequence of member names, list indexes and map keys, from the request
/// message down. Validators extend the path they are given and hand it to <see cref="RetrievalException.Invalid"/>;
/// each transport renders it in its own wire syntax. Immutable: every step returns a new path.
/// </summary>
public sealed class FieldPath : IEquatable<FieldPath>
{
    private FieldPath(ImmutableArray<FieldPathSegment> segments) => Segments = segments;

    /// <summary>The request message itself: the start of every path.</summary>
    public static FieldPath Root { get; } = new([]);

    /// <summary>The path to the top-level field <paramref name="name"/> of the request.</summary>
    public static FieldPath Of(string name) => Root.Member(name);

    /// <summary>The steps from the request message down, outermost first.</summary>
    public ImmutableArray<FieldPathSegment> Segments { get; }

    /// <summary>Whether the path names the request itself (no steps).</summary>
    public bool IsRoot => Segments.IsEmpty;

    /// <summary>This path extended by the field <paramref name="name"/>.</summary>
    public FieldPath Member(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(Segments.Add(new MemberSegment(name)));
    }

    /// <summary>This path extended by element <paramref name="index"/> of a repeated field.</summary>
    public FieldPath Index(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new(Segments.Add(new IndexSegment(index)));
    }

    /// <summary>This path extended by the entry <paramref name="key"/> of a map field.</summary>
    public FieldPath Key(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(Segments.Add(new KeySegment(key)));
    }

    /// <inheritdoc />
    public bool Equals(FieldPath? other) =>
        other is not null && Segments.AsSpan().SequenceEqual(other.Segments.AsSpan());

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FieldPath);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var segment in Segments)
        {
            hash.Add(segment);
        }

        return hash.ToHashCode();
    }

    /// <summary>
    /// A readable rendering for logs, exception messages and test output (members and keys after a dot, indexes in
    /// brackets: <c>items[3].vectors.v1</c>). Transports do not rely on it; they render <see cref="Segments"/> in
    /// their own wire syntax.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var segment in Segments)
        {
            _ = segment switch
            {
                MemberSegment m => text.Append(text.Length == 0 ? "" : ".").Append(m.Name),
                KeySegment k => text.Append(text.Length == 0 ? "" : ".").Append(k.Key),
                IndexSegment i => text.Append('[').Append(i.Index.ToString(CultureInfo.InvariantCulture)).Append(']'),
                _ => throw new InvalidOperationException($"unknown segment {segment}"),
            };
        }

        return text.ToString();
    }
}

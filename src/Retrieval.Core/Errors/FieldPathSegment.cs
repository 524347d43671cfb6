namespace Retrieval.Core.Errors;

/// <summary>
/// One step of a <see cref="FieldPath"/>: a <see cref="MemberSegment"/>, an <see cref="IndexSegment"/> or a
/// <see cref="KeySegment"/>. The set is closed so that a transport can render every path without a fallback.
/// </summary>
public abstract record FieldPathSegment
{
    // Only the three segment kinds below derive from this record.
    private protected FieldPathSegment()
    {
    }
}

/// <summary>A named field of a request message (its proto JSON name, e.g. <c>vectors</c>).</summary>
/// <param name="Name">The field's name; never empty.</param>
public sealed record MemberSegment(string Name) : FieldPathSegment;

/// <summary>An element of a repeated field, counted from 0.</summary>
/// <param name="Index">The element's position; never negative.</param>
public sealed record IndexSegment(int Index) : FieldPathSegment;

/// <summary>An entry of a map field, named by its key (e.g. the space <c>v1</c> in <c>vectors</c>).</summary>
/// <param name="Key">The entry's key as the caller sent it; may be empty, since a caller may send an empty key.</param>
public sealed record KeySegment(string Key) : FieldPathSegment;

namespace Retrieval.Core.Storage;

/// <summary>
/// One item of an upsert batch, already validated. Merge semantics: the vectors of the spaces named in
/// <see cref="Vectors"/> are set, other spaces keep theirs; <see cref="PayloadJson"/> replaces the stored
/// payload when not null (a new item without payload gets <c>{}</c>). A multi-vector is stored in
/// <see cref="Vectors"/> as its token rows concatenated (row-major, n·d floats; the space gives d).
/// </summary>
public sealed record ItemWrite(string Id, string? PayloadJson, IReadOnlyDictionary<string, float[]> Vectors)
{
    /// <summary>
    /// Multi-vectors as a client sent them (token rows by space name), before validation. The engine checks them
    /// against their spaces (row lengths, ragged rows, token limit, finite values) and moves them into
    /// <see cref="Vectors"/>; a store never sees this set.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<float[]>>? MultiVectors { get; init; }
}

namespace Retrieval.Core.Storage;

/// <summary>
/// One item of an upsert batch, already validated. Merge semantics: the vectors of the spaces named in
/// <see cref="Vectors"/> are set, other spaces keep theirs; <see cref="PayloadJson"/> replaces the stored
/// payload when not null (a new item without payload gets <c>{}</c>). A multi-vector is stored in
/// <see cref="Vectors"/> as its token rows concatenated (row-major, n·d floats; the space gives d).
/// <see cref="RawInputs"/> is null unless the collection stores raw inputs; then it holds the input each space's vector
/// was encoded from, and a space written with a vector but no input loses its stored input (it would be stale).
/// </summary>
public sealed record ItemWrite(
    string Id, string? PayloadJson, IReadOnlyDictionary<string, float[]> Vectors, IReadOnlyDictionary<string, RawInput>? RawInputs = null)
{
    /// <summary>
    /// Multi-vectors as a client sent them (token rows by space name), before validation. The engine checks them
    /// against their spaces (row lengths, ragged rows, token limit, finite values) and moves them into
    /// <see cref="Vectors"/>; a store never sees this set.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<float[]>>? MultiVectors { get; init; }
}

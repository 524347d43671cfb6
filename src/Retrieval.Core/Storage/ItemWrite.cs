namespace Retrieval.Core.Storage;

/// <summary>
/// One item of an upsert batch, already validated. Merge semantics: the vectors of the spaces named in
/// <see cref="Vectors"/> are set, other spaces keep theirs; <see cref="PayloadJson"/> replaces the stored
/// payload when not null (a new item without payload gets <c>{}</c>).
/// </summary>
public sealed record ItemWrite(string Id, string? PayloadJson, IReadOnlyDictionary<string, float[]> Vectors);

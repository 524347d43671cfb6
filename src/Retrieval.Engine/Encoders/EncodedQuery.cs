namespace Retrieval.Engine.Encoders;

/// <summary>
/// A search's raw input after encoding: one vector for a dense space, or the token rows of a multi-vector space (then
/// <see cref="Vector"/> is empty).
/// </summary>
public sealed record EncodedQuery(float[] Vector, IReadOnlyList<float[]>? Rows);

namespace Retrieval.Core.Model;

/// <summary>
/// The registered encoder a space's vectors come from. Stored with the space, it pins that encoder version (the
/// registry refuses to delete it while a space names it), and <paramref name="ModelSha256"/> records which model
/// bytes the space was bound to, so a replaced or damaged model file is detected instead of silently mixing models.
/// </summary>
/// <param name="Name">The encoder name.</param>
/// <param name="Version">The encoder version; empty in a request means "the latest", resolved and stored at binding.</param>
/// <param name="ModelSha256">Lower-case hex SHA-256 of the ONNX model, filled in at binding.</param>
public sealed record EncoderRef(string Name, string Version, string ModelSha256 = "");

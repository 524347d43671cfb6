namespace Retrieval.Core.Storage;

/// <summary>
/// Registered encoder models kept in the store of record (PostgreSQL), so that every node of a cluster can load an encoder
/// registered through any node. The store keeps what it is given: the registry's metadata as opaque JSON, the model and
/// its tokenizer file with their SHA-256 (hex), which the registry checks when it loads them. A registration or deletion
/// moves the catalog's version (and sends its notice), so the other nodes read the list again.
/// </summary>
public interface IEncoderModelStore
{
    /// <summary>Keeps a new version; AlreadyExists (nothing changed) when (name, version) is kept already.</summary>
    Task SaveEncoderModelAsync(StoredEncoderModel model, CancellationToken cancellationToken);

    /// <summary>Every kept version's metadata, without the files (listing stays cheap).</summary>
    Task<IReadOnlyList<StoredEncoderEntry>> ListEncoderModelsAsync(CancellationToken cancellationToken);

    /// <summary>One version with its files; null when it is not kept.</summary>
    Task<StoredEncoderModel?> GetEncoderModelAsync(string name, string version, CancellationToken cancellationToken);

    /// <summary>Deletes one version; false when it was not kept.</summary>
    Task<bool> DeleteEncoderModelAsync(string name, string version, CancellationToken cancellationToken);
}

/// <summary>A kept encoder version's metadata (the registry's JSON).</summary>
public sealed record StoredEncoderEntry(string Name, string Version, string InfoJson);

/// <summary>
/// A kept encoder version: metadata, the ONNX model and the optional tokenizer file (WordPiece vocabulary or SentencePiece
/// model), each file with its SHA-256 as lowercase hex.
/// </summary>
public sealed record StoredEncoderModel(
    string Name, string Version, string InfoJson, byte[] Model, string ModelSha256, byte[]? Tokenizer, string? TokenizerSha256);

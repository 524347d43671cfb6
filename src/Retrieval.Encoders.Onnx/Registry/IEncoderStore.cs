namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>
/// Where registered encoder versions are kept: a directory on this node (<see cref="EncoderStore"/>) or the store of
/// record shared by every node of a cluster (<see cref="SharedEncoderStore"/>). Files are checked against their SHA-256
/// when loaded, so a damaged copy is reported rather than run.
/// </summary>
public interface IEncoderStore
{
    /// <summary>
    /// True when other processes register and delete versions in the same place: the registry then reads the list again
    /// when told the catalog moved, and before answering that a version is unknown.
    /// </summary>
    bool SharedByNodes { get; }

    /// <summary>Keeps a new version whole (or nothing); AlreadyExists when it is kept already.</summary>
    Task SaveAsync(EncoderInfo info, EncoderPackage package, CancellationToken cancellationToken);

    /// <summary>Metadata of every kept version (no checksum check: listing must stay cheap); unreadable ones with their error.</summary>
    Task<IReadOnlyList<EncoderListing>> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>A version's model and tokenizer file, after checking their checksums (UNAVAILABLE when damaged).</summary>
    Task<(byte[] Model, byte[]? Vocabulary)> LoadAsync(string name, string version, CancellationToken cancellationToken);

    /// <summary>Deletes a version (one already gone is not an error).</summary>
    Task DeleteAsync(string name, string version, CancellationToken cancellationToken);
}

/// <summary>One kept version as listed: where it is (for a log line), its metadata, or why that could not be read.</summary>
public sealed record EncoderListing(string Where, EncoderInfo? Info, Exception? Error);

using System.Security.Cryptography;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>
/// Registered encoders on disk: <c>&lt;root&gt;/&lt;name&gt;/&lt;version&gt;/</c> with <c>model.onnx</c>, optional
/// tokenizer file (<c>vocab.txt</c> for WordPiece, <c>tokenizer.model</c> for SentencePiece), <c>encoder.json</c> and <c>SHA256SUMS</c>. A version is written into a temporary directory and
/// renamed into place, so a crash leaves either the whole version or none; checksums are verified on every load so
/// a damaged file is reported rather than run.
/// </summary>
public sealed class EncoderStore(string root) : IEncoderStore
{
    private const string ModelFile = "model.onnx";
    private const string VocabularyFile = "vocab.txt";
    private const string SentencePieceFile = "tokenizer.model";
    private const string InfoFile = "encoder.json";
    private const string ChecksumFile = "SHA256SUMS";

    public string Root { get; } = root;

    /// <summary>One node's directory: nobody else registers into it while the server runs.</summary>
    public bool SharedByNodes => false;

    public Task<IReadOnlyList<EncoderListing>> ReadAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EncoderListing>>([.. ReadAll().Select(e => new EncoderListing(e.Path, e.Info, e.Error))]);

    public Task DeleteAsync(string name, string version, CancellationToken cancellationToken)
    {
        Delete(name, version);
        return Task.CompletedTask;
    }

    public async Task SaveAsync(EncoderInfo info, EncoderPackage package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(package);
        var target = VersionDirectory(info.Descriptor.Name, info.Descriptor.Version);
        if (Directory.Exists(target))
        {
            throw RetrievalException.AlreadyExists($"encoder {info.Descriptor.Name}/{info.Descriptor.Version} already exists");
        }

        var staging = Path.Combine(Root, ".staging", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            var files = new List<(string Name, byte[] Bytes)> { (ModelFile, package.Model) };
            if (package.Vocabulary is not null)
            {
                var sentencePiece = info.Descriptor.Text?.Tokenizer == TokenizerKind.SentencePiece;
                files.Add((sentencePiece ? SentencePieceFile : VocabularyFile, package.Vocabulary));
            }

            files.Add((InfoFile, JsonSerializer.SerializeToUtf8Bytes(info, DescriptorJson.Options)));
            foreach (var (name, bytes) in files)
            {
                await File.WriteAllBytesAsync(Path.Combine(staging, name), bytes, cancellationToken);
            }

            var sums = files.Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(f.Bytes))}  {f.Name}");
            await File.WriteAllLinesAsync(Path.Combine(staging, ChecksumFile), sums, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Metadata of every stored version (no checksum check: listing must stay cheap).</summary>
    public IEnumerable<(string Path, EncoderInfo? Info, Exception? Error)> ReadAll()
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var nameDir in Directory.EnumerateDirectories(Root).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            foreach (var versionDir in Directory.EnumerateDirectories(nameDir))
            {
                EncoderInfo? info = null;
                Exception? error = null;
                try
                {
                    info = JsonSerializer.Deserialize<EncoderInfo>(File.ReadAllBytes(Path.Combine(versionDir, InfoFile)), DescriptorJson.Options);
                }
                catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or NotSupportedException)
                {
                    error = e;
                }

                yield return (versionDir, info, error);
            }
        }
    }

    /// <summary>Reads a version's model and tokenizer file after checking every file against SHA256SUMS.</summary>
    public async Task<(byte[] Model, byte[]? Vocabulary)> LoadAsync(string name, string version, CancellationToken cancellationToken)
    {
        var directory = VersionDirectory(name, version);
        var lines = await File.ReadAllLinesAsync(Path.Combine(directory, ChecksumFile), cancellationToken);
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            var hash = line[..64];
            var file = line[66..];
            var bytes = await File.ReadAllBytesAsync(Path.Combine(directory, file), cancellationToken);
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), hash, StringComparison.Ordinal))
            {
                throw RetrievalException.Unavailable($"encoder {name}/{version}: {file} does not match its checksum; the stored copy is damaged");
            }

            contents[file] = bytes;
        }

        if (!contents.TryGetValue(ModelFile, out var model))
        {
            throw RetrievalException.Unavailable($"encoder {name}/{version}: {ModelFile} is not listed in {ChecksumFile}");
        }

        return (model, contents.GetValueOrDefault(VocabularyFile) ?? contents.GetValueOrDefault(SentencePieceFile));
    }

    public void Delete(string name, string version)
    {
        var directory = VersionDirectory(name, version);
        // Rename first so a crash mid-delete leaves no half version that would load.
        var doomed = Path.Combine(Root, ".staging", "deleted-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(doomed)!);
        Directory.Move(directory, doomed);
        Directory.Delete(doomed, recursive: true);
        var nameDir = Path.GetDirectoryName(directory)!;
        if (!Directory.EnumerateFileSystemEntries(nameDir).Any())
        {
            Directory.Delete(nameDir);
        }
    }

    public string VersionDirectory(string name, string version) => Path.Combine(Root, name, version);

    public static string ModelPath(string versionDirectory) => Path.Combine(versionDirectory, ModelFile);
}

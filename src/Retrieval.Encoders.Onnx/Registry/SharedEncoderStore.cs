using System.Security.Cryptography;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>
/// Registered encoders in the store of record (<see cref="IEncoderModelStore"/>), so that a model registered through one
/// node of a cluster is listed and loaded by every node. The metadata travels as the same JSON the directory store
/// writes (<c>encoder.json</c>); the model and tokenizer file carry their SHA-256, checked on every load.
/// </summary>
public sealed class SharedEncoderStore(IEncoderModelStore store) : IEncoderStore
{
    public bool SharedByNodes => true;

    public Task SaveAsync(EncoderInfo info, EncoderPackage package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(package);
        var d = info.Descriptor;
        return store.SaveEncoderModelAsync(
            new StoredEncoderModel(
                d.Name,
                d.Version,
                JsonSerializer.Serialize(info, DescriptorJson.Options),
                package.Model,
                Sha256(package.Model),
                package.Vocabulary,
                package.Vocabulary is null ? null : Sha256(package.Vocabulary)),
            cancellationToken);
    }

    public async Task<IReadOnlyList<EncoderListing>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var listings = new List<EncoderListing>();
        foreach (var entry in await store.ListEncoderModelsAsync(cancellationToken))
        {
            var where = $"store encoder_models {entry.Name}/{entry.Version}";
            try
            {
                listings.Add(new EncoderListing(where, JsonSerializer.Deserialize<EncoderInfo>(entry.InfoJson, DescriptorJson.Options), null));
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                listings.Add(new EncoderListing(where, null, e));
            }
        }

        return listings;
    }

    public async Task<(byte[] Model, byte[]? Vocabulary)> LoadAsync(string name, string version, CancellationToken cancellationToken)
    {
        var stored = await store.GetEncoderModelAsync(name, version, cancellationToken)
            ?? throw RetrievalException.NotFound($"encoder {name}/{version} not found (deleted through another node)");
        if (!string.Equals(Sha256(stored.Model), stored.ModelSha256, StringComparison.Ordinal))
        {
            throw RetrievalException.Unavailable($"encoder {name}/{version}: the stored model does not match its checksum; the stored copy is damaged");
        }

        if (stored.Tokenizer is not null && !string.Equals(Sha256(stored.Tokenizer), stored.TokenizerSha256, StringComparison.Ordinal))
        {
            throw RetrievalException.Unavailable($"encoder {name}/{version}: the stored tokenizer file does not match its checksum; the stored copy is damaged");
        }

        return (stored.Model, stored.Tokenizer);
    }

    public Task DeleteAsync(string name, string version, CancellationToken cancellationToken) =>
        store.DeleteEncoderModelAsync(name, version, cancellationToken);

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

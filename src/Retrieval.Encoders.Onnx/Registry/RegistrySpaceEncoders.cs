using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>The engine's view of the registry: binds spaces to encoder versions and encodes their raw inputs.</summary>
public sealed class RegistrySpaceEncoders(EncoderRegistry registry, OnnxEncoderOptions options) : ISpaceEncoders
{
    public Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken) => registry.LockAsync(cancellationToken);

    public Task RefreshAsync(CancellationToken cancellationToken) => registry.RefreshAsync(cancellationToken);

    public EncoderRef Bind(EncoderRef requested, SpaceDefinition space, FieldPath field)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(space);
        if (string.IsNullOrEmpty(requested.Name))
        {
            throw RetrievalException.Invalid(field.Member("name"), "is required");
        }

        var info = registry.Find(requested.Name, requested.Version)
            ?? throw RetrievalException.Invalid(field, $"unknown encoder {requested.Name}/{(string.IsNullOrEmpty(requested.Version) ? "(latest)" : requested.Version)}");
        var d = info.Descriptor;
        if (d.Kind != EncoderKind.Dense && !space.IsMulti)
        {
            throw RetrievalException.Invalid(field, $"encoder {d.Name}/{d.Version} makes token vectors (multi); a dense space needs a dense encoder");
        }

        if (d.Kind != EncoderKind.Multi && space.IsMulti)
        {
            throw RetrievalException.Invalid(field, $"encoder {d.Name}/{d.Version} makes one pooled vector per input (dense); a multi-vector space needs a multi encoder (kind multi, pooling none)");
        }

        if (space.MultiVector is { DropTokens: not TokenDrop.None } && d.InputKind != EncoderInputKind.Text)
        {
            throw RetrievalException.Invalid(field, $"encoder {d.Name}/{d.Version} takes {d.InputKind} inputs; multiVector.dropTokens needs a text encoder's tokens");
        }

        if (d.Dimension != space.Dimension)
        {
            throw RetrievalException.Invalid(field, $"encoder {d.Name}/{d.Version} makes {d.Dimension}-d vectors; the space has dimension {space.Dimension}");
        }

        if (!string.IsNullOrEmpty(requested.ModelSha256) && requested.ModelSha256 != info.ModelSha256)
        {
            throw RetrievalException.Invalid(field.Member("modelSha256"), $"encoder {d.Name}/{d.Version} has model checksum {info.ModelSha256}");
        }

        return new EncoderRef(d.Name, d.Version, info.ModelSha256);
    }

    public async Task<IReadOnlyList<float[]>> EncodeAsync(
        EncoderRef encoder, IReadOnlyList<RawInput> inputs, bool isQuery, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(fieldOf);
        Registered(encoder);
        var converted = inputs.Select((input, i) => ToEncoderInput(input, fieldOf(i))).ToList();
        // Large upserts go in slices of half the queue, one after another: the encoder stays busy without one
        // request taking the whole queue from concurrent searches.
        var slice = Math.Max(1, options.QueueCapacity / 2);
        var vectors = new float[inputs.Count][];
        for (var start = 0; start < converted.Count; start += slice)
        {
            var count = Math.Min(slice, converted.Count - start);
            var offset = start;
            var (_, embeddings) = await registry.EncodeAsync(
                encoder.Name, encoder.Version, converted.GetRange(start, count), isQuery, i => fieldOf(offset + i), cancellationToken);
            for (var i = 0; i < count; i++)
            {
                vectors[start + i] = embeddings[i].Values;
            }
        }

        return vectors;
    }

    public async Task<IReadOnlyList<IReadOnlyList<float[]>>> EncodeTokensAsync(
        EncoderRef encoder, IReadOnlyList<RawInput> inputs, bool isQuery, TokenDrop drop, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(fieldOf);
        var info = Registered(encoder);
        var dim = info.Descriptor.Dimension;
        var converted = inputs.Select((input, i) => ToEncoderInput(input, fieldOf(i))).ToList();
        var rows = new IReadOnlyList<float[]>[inputs.Count];
        var slice = Math.Max(1, options.QueueCapacity / 2);
        for (var start = 0; start < converted.Count; start += slice)
        {
            var count = Math.Min(slice, converted.Count - start);
            var offset = start;
            var (_, embeddings) = await registry.EncodeAsync(
                encoder.Name, encoder.Version, converted.GetRange(start, count), isQuery, drop, i => fieldOf(offset + i), cancellationToken);
            for (var i = 0; i < count; i++)
            {
                var embedding = embeddings[i];
                if (embedding.Rows == 0)
                {
                    throw RetrievalException.Invalid(fieldOf(start + i), drop == TokenDrop.None
                        ? "the input gives no token vectors"
                        : $"no token is left after dropping {drop} tokens (multiVector.dropTokens)");
                }

                rows[start + i] = Enumerable.Range(0, embedding.Rows).Select(r => embedding.Values.AsSpan(r * dim, dim).ToArray()).ToArray();
            }
        }

        return rows;
    }

    private EncoderInfo Registered(EncoderRef encoder)
    {
        var info = registry.Find(encoder.Name, encoder.Version)
            ?? throw RetrievalException.Precondition($"encoder {encoder.Name}/{encoder.Version} named by the space is not registered on this server");
        if (encoder.ModelSha256.Length > 0 && encoder.ModelSha256 != info.ModelSha256)
        {
            throw RetrievalException.Precondition(
                $"encoder {encoder.Name}/{encoder.Version} here has model checksum {info.ModelSha256}, but the space was bound to {encoder.ModelSha256}");
        }

        return info;
    }

    private static EncoderInput ToEncoderInput(RawInput input, FieldPath field)
    {
        switch (input.Kind)
        {
            case RawInputKind.Text:
                return new TextInput(input.Text);
            case RawInputKind.Image:
                if (input.Content.Length == 0)
                {
                    throw RetrievalException.Invalid(field.Member("image"), "is empty");
                }

                return new ImageInput(input.Content);
            case RawInputKind.Tensor:
                var (shape, values) = input.ReadTensor();
                return new TensorInput(shape, values);
            default:
                throw RetrievalException.Invalid(field, "needs one of text, image or tensor");
        }
    }
}

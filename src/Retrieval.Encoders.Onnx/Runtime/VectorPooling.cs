using System.Numerics.Tensors;
using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>Turns one item's model output into its embedding: pooling over tokens, token vectors, or the output as is.</summary>
public static class VectorPooling
{
    /// <summary>
    /// <paramref name="output"/> is the item's slice of the output: <c>tokens × hidden</c> when <paramref name="tokens"/>
    /// &gt; 0 (token states), else the flattened per-item output. <paramref name="mask"/> marks real tokens.
    /// </summary>
    public static Embedding Pool(ReadOnlySpan<float> output, int tokens, ReadOnlySpan<long> mask, EncoderDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var dim = descriptor.Dimension;
        Embedding embedding;
        if (descriptor.Kind == EncoderKind.Multi)
        {
            embedding = TokenVectors(output, tokens, mask, dim);
        }
        else
        {
            var vector = new float[dim];
            switch (descriptor.Pooling)
            {
                case Pooling.Cls:
                    output[..dim].CopyTo(vector);
                    break;
                case Pooling.Mean:
                    MeanMasked(output, tokens, mask, vector);
                    break;
                case Pooling.Max:
                    MaxMasked(output, tokens, mask, vector);
                    break;
                default:
                    output.CopyTo(vector);
                    break;
            }

            embedding = new Embedding(vector, 1);
        }

        if (descriptor.Normalize)
        {
            for (var row = 0; row < embedding.Rows; row++)
            {
                NormalizeInPlace(embedding.Values.AsSpan(row * dim, dim));
            }
        }

        return embedding;
    }

    private static Embedding TokenVectors(ReadOnlySpan<float> output, int tokens, ReadOnlySpan<long> mask, int dim)
    {
        var kept = 0;
        for (var t = 0; t < tokens; t++)
        {
            kept += mask[t] != 0 ? 1 : 0;
        }

        var values = new float[kept * dim];
        var row = 0;
        for (var t = 0; t < tokens; t++)
        {
            if (mask[t] != 0)
            {
                output.Slice(t * dim, dim).CopyTo(values.AsSpan(row++ * dim));
            }
        }

        return new Embedding(values, kept);
    }

    private static void MeanMasked(ReadOnlySpan<float> output, int tokens, ReadOnlySpan<long> mask, Span<float> vector)
    {
        var dim = vector.Length;
        var count = 0;
        for (var t = 0; t < tokens; t++)
        {
            if (mask[t] != 0)
            {
                TensorPrimitives.Add(vector, output.Slice(t * dim, dim), vector);
                count++;
            }
        }

        TensorPrimitives.Divide(vector, Math.Max(count, 1), vector);
    }

    private static void MaxMasked(ReadOnlySpan<float> output, int tokens, ReadOnlySpan<long> mask, Span<float> vector)
    {
        var dim = vector.Length;
        vector.Fill(float.NegativeInfinity);
        for (var t = 0; t < tokens; t++)
        {
            if (mask[t] != 0)
            {
                TensorPrimitives.Max(vector, output.Slice(t * dim, dim), vector);
            }
        }
    }

    public static void NormalizeInPlace(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        // A zero vector has no direction; leave it rather than fill it with NaN.
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}

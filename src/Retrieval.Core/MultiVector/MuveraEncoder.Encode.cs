using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Retrieval.Core.MultiVector;

public sealed partial class MuveraEncoder
{
    /// <summary>The query encoding: block (r, b) = Σ ψ_r(q) over the query tokens q in bucket b of repetition r.</summary>
    public float[] EncodeQuery(TokenMatrix query)
    {
        var encoding = new float[EncodedLength];
        Encode(query, encoding, isDocument: false);
        return encoding;
    }

    /// <inheritdoc cref="EncodeQuery(TokenMatrix)"/>
    public void EncodeQuery(TokenMatrix query, Span<float> destination) => Encode(query, destination, isDocument: false);

    /// <summary>
    /// The document encoding: block (r, b) = the average of ψ_r(p) over the document tokens p in bucket b; with
    /// <see cref="MuveraParameters.FillEmptyBuckets"/>, an empty bucket b takes ψ_r(p*) for the token p* whose bit
    /// pattern is nearest to b in Hamming distance (ties → lowest token index).
    /// </summary>
    public float[] EncodeDocument(TokenMatrix document)
    {
        var encoding = new float[EncodedLength];
        Encode(document, encoding, isDocument: true);
        return encoding;
    }

    /// <inheritdoc cref="EncodeDocument(TokenMatrix)"/>
    public void EncodeDocument(TokenMatrix document, Span<float> destination) => Encode(document, destination, isDocument: true);

    private void Encode(TokenMatrix tokens, Span<float> destination, bool isDocument)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var p = Parameters;
        if (tokens.Dimension != p.Dimension)
        {
            throw new ArgumentException($"tokens have {tokens.Dimension} components, the encoder expects {p.Dimension}", nameof(tokens));
        }

        if (destination.Length != EncodedLength)
        {
            throw new ArgumentException($"destination has {destination.Length} floats, the encoding has {EncodedLength}", nameof(destination));
        }

        var n = tokens.Count;
        var dProj = p.DProj;
        var buckets = p.BucketCount;
        var blockLength = p.BlockEncodedLength;
        var projections = ArrayPool<float>.Shared.Rent(checked(n * _columns));
        var blocks = _sketchBucket is null ? null : ArrayPool<float>.Shared.Rent(blockLength);
        var counts = ArrayPool<int>.Shared.Rent(buckets);
        var patterns = ArrayPool<int>.Shared.Rent(n);
        try
        {
            // One GEMM gives every hyperplane product and every projected coordinate of every repetition.
            ProjectionKernel.Multiply(tokens.Values, n, p.Dimension, _projection, _columns, projections);
            var raw = blocks is null ? destination : blocks.AsSpan(0, blockLength);
            raw.Clear();
            for (var r = 0; r < p.Repetitions; r++)
            {
                var repetition = raw.Slice(r * buckets * dProj, buckets * dProj);
                var count = counts.AsSpan(0, buckets);
                count.Clear();
                for (var t = 0; t < n; t++)
                {
                    var row = projections.AsSpan((t * _columns) + (r * _width), _width);
                    var bucket = 0;
                    for (var j = 0; j < p.KSim; j++)
                    {
                        bucket |= row[j] > 0f ? 1 << j : 0;
                    }

                    patterns[t] = bucket;
                    count[bucket]++;
                    var block = repetition.Slice(bucket * dProj, dProj);
                    TensorPrimitives.Add(block, Projected(tokens, row, t), block);
                }

                if (isDocument)
                {
                    FinishDocumentRepetition(tokens, repetition, count, patterns.AsSpan(0, n), projections, r);
                }
            }

            if (blocks is not null)
            {
                // Count-Sketch: F'[h(i)] += s(i)·F[i]; E⟨F'_q, F'_d⟩ = ⟨F_q, F_d⟩ because h, s are shared by both sides.
                destination.Clear();
                for (var i = 0; i < blockLength; i++)
                {
                    destination[_sketchBucket![i]] += _sketchSign![i] * raw[i];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(projections);
            if (blocks is not null)
            {
                ArrayPool<float>.Shared.Return(blocks);
            }

            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<int>.Shared.Return(patterns);
        }
    }

    /// <summary>Averages the occupied document blocks of one repetition and fills the empty ones when enabled.</summary>
    private void FinishDocumentRepetition(TokenMatrix tokens, Span<float> repetition, ReadOnlySpan<int> count, ReadOnlySpan<int> patterns, float[] projections, int r)
    {
        var dProj = Parameters.DProj;
        for (var bucket = 0; bucket < count.Length; bucket++)
        {
            var block = repetition.Slice(bucket * dProj, dProj);
            if (count[bucket] > 1)
            {
                TensorPrimitives.Divide(block, count[bucket], block);
            }
            else if (count[bucket] == 0 && Parameters.FillEmptyBuckets)
            {
                // Nearest sign pattern: minimal popcount(bucket XOR pattern_t); strict < keeps the lowest index on ties.
                var nearest = 0;
                var nearestDistance = int.MaxValue;
                for (var t = 0; t < patterns.Length; t++)
                {
                    var distance = BitOperations.PopCount((uint)(bucket ^ patterns[t]));
                    if (distance < nearestDistance)
                    {
                        nearest = t;
                        nearestDistance = distance;
                    }
                }

                var row = projections.AsSpan((nearest * _columns) + (r * _width), _width);
                Projected(tokens, row, nearest).CopyTo(block);
            }
        }
    }

    /// <summary>ψ_r(x_t): the token itself with the identity projection, else the projected columns of its GEMM row.</summary>
    private ReadOnlySpan<float> Projected(TokenMatrix tokens, ReadOnlySpan<float> row, int token) =>
        Parameters.UsesIdentityProjection ? tokens.Row(token) : row.Slice(Parameters.KSim, Parameters.DProj);
}

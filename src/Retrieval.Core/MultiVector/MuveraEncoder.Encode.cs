using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        var fill = isDocument && p.FillEmptyBuckets;
        var projections = ArrayPool<float>.Shared.Rent(checked(n * _columns));
        var blocks = _sketchBucket is null ? null : ArrayPool<float>.Shared.Rent(blockLength);
        var counts = ArrayPool<int>.Shared.Rent(buckets);
        var patterns = ArrayPool<int>.Shared.Rent(n);
        var nearest = fill ? ArrayPool<long>.Shared.Rent(buckets) : null;
        try
        {
            // One GEMM gives every hyperplane product and every projected coordinate of every repetition.
            ProjectionKernel.Multiply(tokens.Values, n, p.Dimension, _projection, _columns, projections);
            var raw = blocks is null ? destination : blocks.AsSpan(0, blockLength);
            for (var r = 0; r < p.Repetitions; r++)
            {
                var repetition = raw.Slice(r * buckets * dProj, buckets * dProj);
                var count = counts.AsSpan(0, buckets);
                count.Clear();
                ref var countBase = ref MemoryMarshal.GetReference(count);
                var occupied = 0;
                for (var t = 0; t < n; t++)
                {
                    var rowOffset = (t * _columns) + (r * _width);
                    var bucket = Bucket(projections, rowOffset, p.KSim);
                    patterns[t] = bucket;
                    // The first token of a bucket overwrites the block, later ones add to it: no clearing pass.
                    var block = repetition.Slice(bucket * dProj, dProj);
                    var projected = Projected(tokens, projections.AsSpan(rowOffset, _width), t);
                    if (Unsafe.Add(ref countBase, bucket)++ == 0)
                    {
                        occupied++;
                        projected.CopyTo(block);
                    }
                    else
                    {
                        SmallVectorMath.AddInPlace(block, projected);
                    }
                }

                FinishRepetition(tokens, repetition, count, occupied, patterns.AsSpan(0, n), nearest, isDocument, projections, r);
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
            if (nearest is not null)
            {
                ArrayPool<long>.Shared.Return(nearest);
            }
        }
    }

    /// <summary>b = Σ_j [⟨g_j, x⟩ &gt; 0]·2^j from the k_sim hyperplane columns at the start of a GEMM row.</summary>
    /// <remarks>
    /// One vector compare and a sign-bit extraction instead of k_sim data-dependent branches, which mispredict half
    /// the time on random signs. The vector may read past the row's k_sim columns (into the next columns or the
    /// rented buffer's tail, never past the array) — those bits are masked off. GreaterThan is false for NaN, like
    /// the scalar <c>&gt;</c>, so both paths give the same bucket for every input.
    /// </remarks>
    internal static int Bucket(float[] projections, int rowOffset, int kSim)
    {
        if (Vector256.IsHardwareAccelerated && kSim <= Vector256<float>.Count && rowOffset <= projections.Length - Vector256<float>.Count)
        {
            var row = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(projections), (nuint)rowOffset);
            var signs = Vector256.GreaterThan(row, Vector256<float>.Zero).ExtractMostSignificantBits();
            return (int)(signs & ((1u << kSim) - 1));
        }

        return BucketScalar(projections.AsSpan(rowOffset, kSim));
    }

    /// <summary>The definition of <see cref="Bucket"/>, one hyperplane at a time.</summary>
    internal static int BucketScalar(ReadOnlySpan<float> hyperplaneProducts)
    {
        var bucket = 0;
        for (var j = 0; j < hyperplaneProducts.Length; j++)
        {
            bucket |= hyperplaneProducts[j] > 0f ? 1 << j : 0;
        }

        return bucket;
    }

    /// <summary>
    /// Completes one repetition: documents average their occupied blocks; empty blocks are filled (documents with
    /// <see cref="MuveraParameters.FillEmptyBuckets"/>) or zeroed.
    /// </summary>
    private void FinishRepetition(TokenMatrix tokens, Span<float> repetition, ReadOnlySpan<int> count, int occupied, ReadOnlySpan<int> patterns, long[]? nearest, bool isDocument, float[] projections, int r)
    {
        var dProj = Parameters.DProj;
        if (occupied == count.Length && !isDocument)
        {
            return; // every block holds a plain query sum: nothing to average, fill or clear
        }

        // The distance transform only serves empty buckets: skip it when every bucket is occupied.
        if (nearest is not null && occupied < count.Length)
        {
            NearestTokens(count, patterns, nearest.AsSpan(0, count.Length));
        }

        for (var bucket = 0; bucket < count.Length; bucket++)
        {
            var block = repetition.Slice(bucket * dProj, dProj);
            if (count[bucket] > 1 && isDocument)
            {
                SmallVectorMath.DivideInPlace(block, count[bucket]);
            }
            else if (count[bucket] == 0)
            {
                if (nearest is null)
                {
                    block.Clear();
                }
                else
                {
                    var token = (int)nearest[bucket];
                    Projected(tokens, projections.AsSpan((token * _columns) + (r * _width), _width), token).CopyTo(block);
                }
            }
        }
    }

    /// <summary>
    /// For every bucket b, the token t minimizing (popcount(b XOR pattern_t), t) — the nearest sign pattern, ties to
    /// the lowest token index — encoded as dist·2^32 + t. A Hamming distance transform: seed each occupied bucket
    /// with (0, its lowest token), then for each bit j relax key[b] = min(key[b], key[b XOR 2^j] + 2^32). Hamming
    /// distance is a sum over bits, so one pass per bit is exact (the transform is separable, like a Manhattan
    /// distance transform on a 2 × … × 2 grid); cost B·k_sim branch-free min operations instead of a scan of all
    /// tokens for each empty bucket.
    /// </summary>
    private static void NearestTokens(ReadOnlySpan<int> count, ReadOnlySpan<int> patterns, Span<long> key)
    {
        const long Unreached = long.MaxValue >> 1;
        const long OneBit = 1L << 32;
        key.Fill(Unreached);
        ref var keyBase = ref MemoryMarshal.GetReference(key);
        for (var t = patterns.Length - 1; t >= 0; t--)
        {
            key[patterns[t]] = t;
        }

        // Buckets are 0 … 2^k_sim − 1 and key.Length = 2^k_sim, so b XOR bit stays in range: no bounds checks needed.
        for (var bit = 1; bit < count.Length; bit <<= 1)
        {
            for (var b = 0; b < key.Length; b++)
            {
                ref var kb = ref Unsafe.Add(ref keyBase, b);
                kb = Math.Min(kb, Unsafe.Add(ref keyBase, b ^ bit) + OneBit);
            }
        }
    }

    /// <summary>ψ_r(x_t): the token itself with the identity projection, else the projected columns of its GEMM row.</summary>
    private ReadOnlySpan<float> Projected(TokenMatrix tokens, ReadOnlySpan<float> row, int token) =>
        Parameters.UsesIdentityProjection ? tokens.Row(token) : row.Slice(Parameters.KSim, Parameters.DProj);
}

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
        if (n >= NearestKeys.MaxTokens)
        {
            throw new ArgumentException($"{n} tokens; the encoder takes fewer than {NearestKeys.MaxTokens}", nameof(tokens));
        }

        var blockLength = p.BlockEncodedLength;
        var scratch = EncodeScratch.For(n * _columns, p.BucketCount, n, _sketchBucket is null ? 0 : blockLength);
        var projections = scratch.Projections;
        // One GEMM gives every hyperplane product and every projected coordinate of every repetition.
        ProjectionKernel.Multiply(tokens.Values, n, p.Dimension, _projection, _columns, projections);
        var raw = _sketchBucket is null ? destination : scratch.Blocks.AsSpan(0, blockLength);
        ref var rawBase = ref MemoryMarshal.GetReference(raw);
        var buckets = p.BucketCount;
        var dProj = p.DProj;
        var fill = isDocument && p.FillEmptyBuckets;
        for (var r = 0; r < p.Repetitions; r++)
        {
            ref var repetition = ref Unsafe.Add(ref rawBase, r * buckets * dProj);
            var occupied = AssignBuckets(tokens, projections, r, ref repetition, scratch);
            if (occupied == buckets)
            {
                if (isDocument)
                {
                    Average(ref repetition, scratch, occupied);
                }

                continue; // every block is written: nothing to fill or clear
            }

            if (isDocument)
            {
                Average(ref repetition, scratch, occupied);
            }

            if (fill)
            {
                FillEmptyBlocks(tokens, projections, r, ref repetition, scratch);
            }
            else
            {
                ClearEmptyBlocks(ref repetition, scratch);
            }
        }

        if (_sketchBucket is not null)
        {
            // Count-Sketch: F'[h(i)] += s(i)·F[i]; E⟨F'_q, F'_d⟩ = ⟨F_q, F_d⟩ because h, s are shared by both sides.
            destination.Clear();
            for (var i = 0; i < blockLength; i++)
            {
                destination[_sketchBucket[i]] += _sketchSign![i] * raw[i];
            }
        }
    }

    /// <summary>
    /// Repetition r's bucket of every token, and the block sums: the first token of a bucket overwrites its block (no
    /// clearing pass), later ones add to it. Records per token its bucket, per bucket its count, and the occupied
    /// buckets in order of first use. Returns how many buckets are occupied.
    /// </summary>
    private int AssignBuckets(TokenMatrix tokens, float[] projections, int r, ref float repetition, EncodeScratch scratch)
    {
        var kSim = Parameters.KSim;
        var dProj = Parameters.DProj;
        var n = tokens.Count;
        ref var count = ref MemoryMarshal.GetArrayDataReference(scratch.Counts);
        ref var pattern = ref MemoryMarshal.GetArrayDataReference(scratch.Patterns);
        ref var occupiedList = ref MemoryMarshal.GetArrayDataReference(scratch.Occupied);
        new Span<int>(scratch.Counts, 0, Parameters.BucketCount).Clear();
        var occupied = 0;
        for (var t = 0; t < n; t++)
        {
            var rowOffset = (t * _columns) + (r * _width);
            var bucket = Bucket(projections, rowOffset, _thresholds, r * _width, kSim);
            Unsafe.Add(ref pattern, t) = bucket;
            ref var block = ref Unsafe.Add(ref repetition, bucket * dProj);
            ref var projected = ref ProjectedRow(tokens, projections, rowOffset, t);
            if (Unsafe.Add(ref count, bucket)++ == 0)
            {
                Unsafe.Add(ref occupiedList, occupied++) = bucket;
                BlockMath.Copy(ref projected, ref block, dProj);
            }
            else
            {
                BlockMath.Add(ref projected, ref block, dProj);
            }
        }

        return occupied;
    }

    /// <summary>Documents: each occupied block holding several tokens becomes their mean (a true division, as always).</summary>
    private void Average(ref float repetition, EncodeScratch scratch, int occupied)
    {
        var dProj = Parameters.DProj;
        for (var i = 0; i < occupied; i++)
        {
            var bucket = scratch.Occupied[i];
            var count = scratch.Counts[bucket];
            if (count > 1)
            {
                BlockMath.Divide(ref Unsafe.Add(ref repetition, bucket * dProj), count, dProj);
            }
        }
    }

    /// <summary>Queries, and documents without fill: empty blocks hold zeros.</summary>
    private void ClearEmptyBlocks(ref float repetition, EncodeScratch scratch)
    {
        var dProj = Parameters.DProj;
        for (var bucket = 0; bucket < Parameters.BucketCount; bucket++)
        {
            if (scratch.Counts[bucket] == 0)
            {
                BlockMath.Clear(ref Unsafe.Add(ref repetition, bucket * dProj), dProj);
            }
        }
    }

    /// <summary>
    /// Documents with fill: every empty block b takes ψ_r(p*) of the token p* whose bit pattern is nearest to b
    /// (Hamming distance, ties to the lowest token index; <see cref="NearestKeys"/>).
    /// </summary>
    private void FillEmptyBlocks(TokenMatrix tokens, float[] projections, int r, ref float repetition, EncodeScratch scratch)
    {
        var dProj = Parameters.DProj;
        var keys = scratch.Keys;
        NearestKeys.Compute(scratch.Patterns.AsSpan(0, tokens.Count), keys.AsSpan(0, Parameters.BucketCount));
        for (var bucket = 0; bucket < Parameters.BucketCount; bucket++)
        {
            if (scratch.Counts[bucket] == 0)
            {
                var token = NearestKeys.TokenOf(keys[bucket]);
                ref var source = ref ProjectedRow(tokens, projections, (token * _columns) + (r * _width), token);
                BlockMath.Copy(ref source, ref Unsafe.Add(ref repetition, bucket * dProj), dProj);
            }
        }
    }

    /// <summary>ψ_r(x_t): the token itself with the identity projection, else the projected columns of its GEMM row.</summary>
    private ref float ProjectedRow(TokenMatrix tokens, float[] projections, int rowOffset, int token) =>
        ref Parameters.UsesIdentityProjection
            ? ref MemoryMarshal.GetReference(tokens.Values[(token * Parameters.Dimension)..])
            : ref projections[rowOffset + Parameters.KSim];

    /// <summary>
    /// b = Σ_j [⟨g_j, x⟩ &gt; θ_j]·2^j from the k_sim hyperplane columns at the start of a GEMM row, θ_j = ⟨g_j, μ⟩ the
    /// thresholds at <paramref name="thresholdOffset"/> (all 0 without a center).
    /// </summary>
    /// <remarks>
    /// One vector compare and a sign-bit extraction instead of k_sim data-dependent branches, which mispredict half
    /// the time on random signs. The vectors may read past the k_sim columns (into the next columns or the buffers'
    /// tails, never past the arrays) — those bits are masked off. GreaterThan is false for NaN, like the scalar
    /// <c>&gt;</c>, so both paths give the same bucket for every input.
    /// </remarks>
    internal static int Bucket(float[] projections, int rowOffset, float[] thresholds, int thresholdOffset, int kSim)
    {
        if (Vector256.IsHardwareAccelerated && kSim <= Vector256<float>.Count
            && rowOffset <= projections.Length - Vector256<float>.Count && thresholdOffset <= thresholds.Length - Vector256<float>.Count)
        {
            var row = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(projections), (nuint)rowOffset);
            var threshold = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(thresholds), (nuint)thresholdOffset);
            var signs = Vector256.GreaterThan(row, threshold).ExtractMostSignificantBits();
            return (int)(signs & ((1u << kSim) - 1));
        }

        return BucketScalar(projections.AsSpan(rowOffset, kSim), thresholds.AsSpan(thresholdOffset, kSim));
    }

    /// <summary>The definition of <see cref="Bucket"/>, one hyperplane at a time.</summary>
    internal static int BucketScalar(ReadOnlySpan<float> hyperplaneProducts, ReadOnlySpan<float> thresholds)
    {
        var bucket = 0;
        for (var j = 0; j < hyperplaneProducts.Length; j++)
        {
            bucket |= hyperplaneProducts[j] > thresholds[j] ? 1 << j : 0;
        }

        return bucket;
    }
}

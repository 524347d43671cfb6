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
        for (var r = 0; r < p.Repetitions; r++)
        {
            EncodeRepetition(tokens, projections, r, ref Unsafe.Add(ref rawBase, r * p.BucketCount * p.DProj), scratch, isDocument);
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
    /// One repetition's blocks, without a data-dependent branch per token or bucket (on short items whether a token
    /// opens its bucket, and which buckets stay empty, are coin flips a branch predictor cannot learn). Projected ψ:
    /// zero the repetition and add every token's ψ to its block; then, for documents with fill, copy the nearest
    /// token's ψ into each empty block (<see cref="NearestKeys"/>). Identity ψ (the client's own rows, which may hold
    /// −0), the general path:
    /// <list type="number">
    /// <item>each token's bucket, the per-bucket counts and the occupied buckets;</item>
    /// <item>each bucket's source token: for documents with fill the nearest sign pattern, which for an occupied bucket
    /// is its first token; otherwise the bucket's first token;</item>
    /// <item>every block := ψ(source), masked to +0 where the bucket is empty and is not filled;</item>
    /// <item>every other token adds ψ to its block (a select, so the opening token adds nothing, bit for bit).</item>
    /// </list>
    /// Documents then divide each occupied block by its count (x / 1 = x exactly). Either way the sums are formed in
    /// token order from the first token's ψ, as they always were: outputs are bit-identical to the earlier encoder.
    /// </summary>
    private void EncodeRepetition(TokenMatrix tokens, float[] projections, int r, ref float repetition, EncodeScratch scratch, bool isDocument)
    {
        var p = Parameters;
        var kSim = p.KSim;
        var dProj = p.DProj;
        var buckets = p.BucketCount;
        var n = tokens.Count;
        var fill = isDocument && p.FillEmptyBuckets;
        ref var count = ref MemoryMarshal.GetArrayDataReference(scratch.Counts);
        ref var pattern = ref MemoryMarshal.GetArrayDataReference(scratch.Patterns);
        ref var occupiedList = ref MemoryMarshal.GetArrayDataReference(scratch.Occupied);
        ref var source = ref MemoryMarshal.GetArrayDataReference(scratch.Keys);

        // ψ_r(x_t) = psi[t·stride …]: the token row with the identity projection, else its projected GEMM columns.
        ref var psi = ref p.UsesIdentityProjection
            ? ref MemoryMarshal.GetReference(tokens.Values)
            : ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(projections), (r * _width) + kSim);
        var stride = p.UsesIdentityProjection ? p.Dimension : _columns;

        BlockMath.Fill(ref count, 0, buckets);
        var occupied = 0;
        if (!p.UsesIdentityProjection)
        {
            // Zero the repetition, then add every token: +0 + ψ = ψ exactly because a projected ψ is never −0 (its
            // GEMM chain starts at +0, and under round-to-nearest an FMA returns −0 only when both addends are −0).
            // So the sums are bit-identical to opening each block with its first token's ψ, without tracking which
            // token opens a block. (With the identity projection ψ is the client's token, which may hold −0: the
            // general path below keeps those bits.)
            BlockMath.Fill(ref Unsafe.As<float, int>(ref repetition), 0, buckets * dProj);
            for (var t = 0; t < n; t++)
            {
                var bucket = Bucket(projections, (t * _columns) + (r * _width), _thresholds, r * _width, kSim);
                ref var c = ref Unsafe.Add(ref count, bucket);
                Unsafe.Add(ref occupiedList, occupied) = bucket;
                occupied += 1 - Math.Min(c, 1);
                c++;
                Unsafe.Add(ref pattern, t) = bucket;
                BlockMath.AddMasked(ref Unsafe.Add(ref psi, t * stride), ref Unsafe.Add(ref repetition, bucket * dProj), -1, dProj);
            }

            if (fill && occupied < buckets)
            {
                // Empty blocks (still +0) take the nearest token's ψ; occupied ones keep their sums.
                NearestKeys.Compute(scratch.Patterns.AsSpan(0, n), scratch.Keys.AsSpan(0, buckets));
                if (buckets <= 64)
                {
                    // Visit only the empty buckets, by the set bits of a mask: no branch per bucket.
                    var empty = buckets == 64 ? ~0UL : (1UL << buckets) - 1;
                    for (var i = 0; i < occupied; i++)
                    {
                        empty &= ~(1UL << Unsafe.Add(ref occupiedList, i));
                    }

                    for (; empty != 0; empty &= empty - 1)
                    {
                        var b = System.Numerics.BitOperations.TrailingZeroCount(empty);
                        var token = NearestKeys.TokenOf(Unsafe.Add(ref source, b));
                        BlockMath.CopyWhere(ref Unsafe.Add(ref psi, token * stride), ref Unsafe.Add(ref repetition, b * dProj), -1, dProj);
                    }
                }
                else
                {
                    for (var b = 0; b < buckets; b++)
                    {
                        var empty = Math.Min(Unsafe.Add(ref count, b), 1) - 1; // −1 when empty
                        var token = NearestKeys.TokenOf(Unsafe.Add(ref source, b));
                        BlockMath.CopyWhere(ref Unsafe.Add(ref psi, token * stride), ref Unsafe.Add(ref repetition, b * dProj), empty, dProj);
                    }
                }
            }

            if (isDocument)
            {
                AverageOccupied(ref repetition, ref count, ref occupiedList, occupied, dProj);
            }

            return;
        }

        for (var t = 0; t < n; t++)
        {
            var bucket = Bucket(projections, (t * _columns) + (r * _width), _thresholds, r * _width, kSim);
            Unsafe.Add(ref pattern, t) = bucket;
            ref var c = ref Unsafe.Add(ref count, bucket);
            Unsafe.Add(ref occupiedList, occupied) = bucket;
            occupied += 1 - Math.Min(c, 1); // counts a bucket when its first token arrives
            c++;
        }

        if (fill)
        {
            NearestKeys.Compute(scratch.Patterns.AsSpan(0, n), scratch.Keys.AsSpan(0, buckets));
            for (var b = 0; b < buckets; b++)
            {
                Unsafe.Add(ref source, b) = NearestKeys.TokenOf(Unsafe.Add(ref source, b));
            }
        }
        else
        {
            BlockMath.Fill(ref source, 0, buckets);
            for (var t = n - 1; t >= 0; t--)
            {
                Unsafe.Add(ref source, Unsafe.Add(ref pattern, t)) = t;
            }
        }

        var keepAll = fill ? -1 : 0;
        for (var b = 0; b < buckets; b++)
        {
            var keep = keepAll | -Math.Min(Unsafe.Add(ref count, b), 1);
            BlockMath.CopyMasked(ref Unsafe.Add(ref psi, Unsafe.Add(ref source, b) * stride), ref Unsafe.Add(ref repetition, b * dProj), keep, dProj);
        }

        for (var t = 0; t < n; t++)
        {
            var bucket = Unsafe.Add(ref pattern, t);
            var opensBucket = t ^ Unsafe.Add(ref source, bucket); // 0 for the bucket's first token
            BlockMath.AddMasked(ref Unsafe.Add(ref psi, t * stride), ref Unsafe.Add(ref repetition, bucket * dProj), -Math.Min(opensBucket, 1), dProj);
        }

        if (isDocument)
        {
            AverageOccupied(ref repetition, ref count, ref occupiedList, occupied, dProj);
        }
    }

    /// <summary>Documents: each occupied block becomes the mean of its tokens (a true division; x / 1 = x exactly).</summary>
    private static void AverageOccupied(ref float repetition, ref int count, ref int occupiedList, int occupied, int dProj)
    {
        for (var i = 0; i < occupied; i++)
        {
            var bucket = Unsafe.Add(ref occupiedList, i);
            BlockMath.Divide(ref Unsafe.Add(ref repetition, bucket * dProj), Unsafe.Add(ref count, bucket), dProj);
        }
    }

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

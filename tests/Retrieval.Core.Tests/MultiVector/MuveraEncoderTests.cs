using System.Numerics;
using System.Numerics.Tensors;
using CsCheck;
using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

/// <summary>The checkable properties of DESIGN §6.</summary>
public sealed class MuveraEncoderTests
{
    [Fact]
    public void OneTokenDocument_IdentityProjection_InnerProductIsRTimesChamfer()
    {
        var cases = from kSim in Gen.Int[0, 5] from reps in Gen.Int[1, 6] from nq in Gen.Int[1, 9] from d in Gen.Int[1, 20] from seed in Gen.ULong
                    select (kSim, reps, nq, d, seed);
        cases.Sample(c =>
        {
            var encoder = new MuveraEncoder(new MuveraParameters { Dimension = c.d, DProj = c.d, KSim = c.kSim, Repetitions = c.reps, Seed = c.seed });
            var random = new DeterministicRandom(c.seed ^ 0xABCDEF);
            var query = MultiVectorTestData.Gaussian(random, c.nq, c.d);
            var document = MultiVectorTestData.Gaussian(random, 1, c.d);
            var fdeScore = TensorPrimitives.Dot(encoder.EncodeQuery(query), encoder.EncodeDocument(document));
            var expected = c.reps * Chamfer.ScoreScalar(query, document);
            Assert.True(MathF.Abs(fdeScore - expected) <= 1e-4f * (1 + MathF.Abs(expected)) * c.reps * c.nq, $"{fdeScore} vs {expected} for {c}");
        }, iter: 150);
    }

    [Fact]
    public void KSimZero_IdentityProjection_InnerProductIsRTimesSumOfDotsWithDocumentMean()
    {
        var random = new DeterministicRandom(3);
        const int D = 12, R = 3;
        var encoder = new MuveraEncoder(new MuveraParameters { Dimension = D, DProj = D, KSim = 0, Repetitions = R, Seed = 9 });
        for (var trial = 0; trial < 20; trial++)
        {
            var query = MultiVectorTestData.Gaussian(random, 1 + random.NextInt(8), D);
            var document = MultiVectorTestData.Gaussian(random, 1 + random.NextInt(8), D);
            var mean = new float[D];
            for (var t = 0; t < document.Count; t++)
            {
                TensorPrimitives.Add(mean, document.Row(t), mean);
            }

            TensorPrimitives.Divide(mean, document.Count, mean);
            var expected = 0f;
            for (var t = 0; t < query.Count; t++)
            {
                expected += TensorPrimitives.Dot(query.Row(t), mean);
            }

            expected *= R;
            var actual = TensorPrimitives.Dot(encoder.EncodeQuery(query), encoder.EncodeDocument(document));
            Assert.Equal(expected, actual, 1e-3f * (1 + MathF.Abs(expected)));
        }
    }

    [Fact]
    public void QueryEncoding_HasAtMostQueryTokenCountNonEmptyBlocksPerRepetition()
    {
        var parameters = MuveraParameters.CompactPreset(dimension: 32, seed: 11);
        var encoder = new MuveraEncoder(parameters);
        var random = new DeterministicRandom(12);
        for (var trial = 0; trial < 30; trial++)
        {
            var query = MultiVectorTestData.Gaussian(random, 1 + random.NextInt(12), 32);
            var encoding = encoder.EncodeQuery(query);
            for (var r = 0; r < parameters.Repetitions; r++)
            {
                var nonEmpty = 0;
                for (var b = 0; b < parameters.BucketCount; b++)
                {
                    var block = encoding.AsSpan(((r * parameters.BucketCount) + b) * parameters.DProj, parameters.DProj);
                    nonEmpty += block.ContainsAnyExcept(0f) ? 1 : 0;
                }

                Assert.InRange(nonEmpty, 1, query.Count);
            }
        }
    }

    [Fact]
    public void EncodedLength_IsRTimesBucketsTimesDProj_OrDFinal()
    {
        var random = new DeterministicRandom(1);
        var tokens = MultiVectorTestData.Gaussian(random, 5, 64);
        Assert.Equal(10240, new MuveraEncoder(MuveraParameters.EndToEndPreset(64)).EncodeDocument(tokens).Length);
        Assert.Equal(2560, new MuveraEncoder(MuveraParameters.CompactPreset(64)).EncodeQuery(tokens).Length);
        var sketched = MuveraParameters.CompactPreset(64) with { DFinal = 1000 };
        Assert.Equal(1000, new MuveraEncoder(sketched).EncodeDocument(tokens).Length);
        Assert.Equal(1000, new MuveraEncoder(sketched).EncodeQuery(tokens).Length);
    }

    [Fact]
    public void DocumentEncoding_EmptyBucketsTakeNearestSignPattern_TiesToLowestToken()
    {
        const int D = 6, KSim = 4;
        var encoder = new MuveraEncoder(new MuveraParameters { Dimension = D, DProj = D, KSim = KSim, Repetitions = 3, Seed = 21 });
        var random = new DeterministicRandom(22);
        var checkedCases = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var tokens = MultiVectorTestData.Gaussian(random, 2, D);
            var p0 = TokenMatrix.FromRowMajor(tokens.Row(0), D);
            var p1 = TokenMatrix.FromRowMajor(tokens.Row(1), D);
            var document = encoder.EncodeDocument(tokens);
            for (var r = 0; r < 3; r++)
            {
                // A one-token query lights exactly its own bucket: that reveals each token's bit pattern.
                var b0 = OnlyNonEmptyBlock(encoder.EncodeQuery(p0), r, KSim, D);
                var b1 = OnlyNonEmptyBlock(encoder.EncodeQuery(p1), r, KSim, D);
                if (b0 == b1)
                {
                    continue;
                }

                checkedCases++;
                for (var b = 0; b < 1 << KSim; b++)
                {
                    var expected = b == b1 || (b != b0 && BitOperations.PopCount((uint)(b ^ b1)) < BitOperations.PopCount((uint)(b ^ b0)))
                        ? tokens.Row(1)
                        : tokens.Row(0);
                    Assert.Equal(expected.ToArray(), document.AsSpan(((r << KSim) + b) * D, D).ToArray());
                }
            }
        }

        Assert.True(checkedCases > 20);
    }

    [Fact]
    public void Encodings_AreBitIdenticalAcrossEncoderInstances_AndSeedMatters()
    {
        var parameters = MuveraParameters.EndToEndPreset(dimension: 48, seed: 77) with { DFinal = 4096 };
        var random = new DeterministicRandom(78);
        var tokens = MultiVectorTestData.Gaussian(random, 17, 48);
        var first = new MuveraEncoder(parameters);
        var second = new MuveraEncoder(parameters);
        Assert.Equal(first.MatrixFingerprint, second.MatrixFingerprint);
        Assert.Equal(first.EncodeDocument(tokens), second.EncodeDocument(tokens));
        Assert.Equal(first.EncodeQuery(tokens), second.EncodeQuery(tokens));
        Assert.NotEqual(first.MatrixFingerprint, new MuveraEncoder(parameters with { Seed = 79 }).MatrixFingerprint);
    }

    private static int OnlyNonEmptyBlock(float[] queryEncoding, int repetition, int kSim, int d)
    {
        var found = -1;
        for (var b = 0; b < 1 << kSim; b++)
        {
            if (queryEncoding.AsSpan(((repetition << kSim) + b) * d, d).ContainsAnyExcept(0f))
            {
                Assert.Equal(-1, found);
                found = b;
            }
        }

        return found;
    }

    [Fact]
    public void Encodings_EqualANaiveReferenceBitForBit_BuiltFromOneTokenEncodings()
    {
        // A one-token query encoding reveals, per repetition, the token's bucket (its only non-empty block) and ψ_r
        // (that block). From those, the definition — sums in token order opened by the first token, document means,
        // empty document blocks from the nearest sign pattern (ties to the lowest token), zeros elsewhere — must
        // give exactly the encoder's output for many-token items, on every code path (projected or identity, fill
        // or not, center or not, d_proj a multiple of 8 or not, buckets beyond 64).
        var shapes = from kSim in Gen.Int[0, 7] from dProjIndex in Gen.Int[0, 3] from reps in Gen.Int[1, 3] from n in Gen.Int[1, 30]
                     from fill in Gen.Bool from centered in Gen.Bool from seed in Gen.ULong select (kSim, dProj: new[] { 3, 8, 16, 12 }[dProjIndex], reps, n, fill, centered, seed);
        shapes.Sample(c =>
        {
            const int D = 12;
            var random = new DeterministicRandom(c.seed);
            var parameters = new MuveraParameters
            {
                Dimension = D, KSim = c.kSim, DProj = c.dProj, Repetitions = c.reps, FillEmptyBuckets = c.fill, Seed = c.seed,
                Center = c.centered ? new TokenCenter(MultiVectorTestData.UnitVector(random, D)) : null,
            };
            var encoder = new MuveraEncoder(parameters);
            var tokens = MultiVectorTestData.Gaussian(random, c.n, D);
            int buckets = parameters.BucketCount, dp = parameters.DProj;
            var bucketOf = new int[c.n, c.reps];
            var psi = new float[c.n, c.reps][];
            for (var t = 0; t < c.n; t++)
            {
                var single = encoder.EncodeQuery(TokenMatrix.FromRowMajor(tokens.Row(t), D));
                for (var r = 0; r < c.reps; r++)
                {
                    bucketOf[t, r] = OnlyNonEmptyBlockOf(single, r, buckets, dp);
                    psi[t, r] = single.AsSpan(((r * buckets) + bucketOf[t, r]) * dp, dp).ToArray();
                }
            }

            foreach (var document in new[] { false, true })
            {
                var expected = new float[parameters.EncodedLength];
                for (var r = 0; r < c.reps; r++)
                {
                    for (var b = 0; b < buckets; b++)
                    {
                        var block = expected.AsSpan(((r * buckets) + b) * dp, dp);
                        var members = Enumerable.Range(0, c.n).Where(t => bucketOf[t, r] == b).ToList();
                        if (members.Count > 0)
                        {
                            psi[members[0], r].CopyTo(block);
                            foreach (var t in members.Skip(1))
                            {
                                TensorPrimitives.Add(block, psi[t, r], block);
                            }

                            if (document && members.Count > 1)
                            {
                                TensorPrimitives.Divide(block, members.Count, block);
                            }
                        }
                        else if (document && c.fill)
                        {
                            var nearest = Enumerable.Range(0, c.n).MinBy(t => (BitOperations.PopCount((uint)(b ^ bucketOf[t, r])) * 1000) + t);
                            psi[nearest, r].CopyTo(block);
                        }
                    }
                }

                var actual = document ? encoder.EncodeDocument(tokens) : encoder.EncodeQuery(tokens);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{(document ? "document" : "query")} differs for {c}");
            }
        }, iter: 120);
    }

    private static int OnlyNonEmptyBlockOf(float[] encoding, int repetition, int buckets, int dp)
    {
        var found = -1;
        for (var b = 0; b < buckets; b++)
        {
            if (encoding.AsSpan(((repetition * buckets) + b) * dp, dp).ContainsAnyExcept(0f))
            {
                Assert.Equal(-1, found);
                found = b;
            }
        }

        Assert.NotEqual(-1, found);
        return found;
    }

    [Fact]
    public void Bucket_VectorSignBits_MatchScalarDefinition_OnRandomRows()
    {
        // Values include ±0, NaN and tiny magnitudes, the cases where a vector compare could differ from the scalar >;
        // thresholds are zero (no center) or drawn the same way (a center).
        var special = new[] { 0f, -0f, float.NaN, float.Epsilon, -float.Epsilon, 1f, -1f };
        var rows = from kSim in Gen.Int[0, MuveraParameters.MaxKSim] from length in Gen.Int[1, 40] from centered in Gen.Bool from seed in Gen.ULong
                   select (kSim, length, centered, seed);
        rows.Sample(shape =>
        {
            var (kSim, length, centered, seed) = shape;
            var random = new DeterministicRandom(seed);
            float Draw() => random.NextInt(4) == 0 ? special[random.NextInt(special.Length)] : (float)random.NextGaussian();
            var buffer = new float[Math.Max(length, kSim)];
            var thresholds = new float[buffer.Length];
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = Draw();
                thresholds[i] = centered ? Draw() : 0f;
            }

            // Every row start, including those near the end where the vector load is not allowed.
            for (var offset = 0; offset + kSim <= buffer.Length; offset++)
            {
                var expected = MuveraEncoder.BucketScalar(buffer.AsSpan(offset, kSim), thresholds.AsSpan(offset, kSim));
                Assert.Equal(expected, MuveraEncoder.Bucket(buffer, offset, thresholds, offset, kSim));
            }
        }, iter: 300);
    }
}

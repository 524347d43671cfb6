using System.Numerics.Tensors;
using System.Text.Json;
using CsCheck;
using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

/// <summary>Centered SimHash (<see cref="MuveraParameters.Center"/>): the definition, the DESIGN §6 properties, persistence.</summary>
public sealed class MuveraCenterTests
{
    [Fact]
    public void CenteredBuckets_AreTheBucketsOfTokenMinusCenter()
    {
        // A one-token query lights exactly its own bucket per repetition; with the identity projection the block
        // position is all that depends on the center, so compare positions: Enc_μ(x) against Enc_0(x − μ).
        const int D = 24;
        var random = new DeterministicRandom(31);
        var center = new TokenCenter(MultiVectorTestData.Gaussian(random, 1, D).Values.ToArray());
        var parameters = new MuveraParameters { Dimension = D, DProj = D, KSim = 5, Repetitions = 6, Seed = 32 };
        var centered = new MuveraEncoder(parameters with { Center = center });
        var plain = new MuveraEncoder(parameters);
        var moved = 0;
        for (var trial = 0; trial < 60; trial++)
        {
            var x = MultiVectorTestData.Gaussian(random, 1, D);
            var shifted = new float[D];
            TensorPrimitives.Subtract(x.Values, center.AsSpan(), shifted);
            var withCenter = centered.EncodeQuery(x);
            var ofShifted = plain.EncodeQuery(TokenMatrix.FromRowMajor(shifted, D));
            var ofToken = plain.EncodeQuery(x);
            for (var r = 0; r < parameters.Repetitions; r++)
            {
                var bucket = NonEmptyBlocks(withCenter, parameters, r).Single();
                Assert.Equal(NonEmptyBlocks(ofShifted, parameters, r).Single(), bucket);
                moved += NonEmptyBlocks(ofToken, parameters, r).Single() != bucket ? 1 : 0;
            }
        }

        Assert.True(moved > 30, $"the center moved only {moved} of 360 token buckets");
    }

    [Fact]
    public void Centered_OneTokenDocument_IdentityProjection_InnerProductIsRTimesChamfer()
    {
        var cases = from kSim in Gen.Int[0, 5] from reps in Gen.Int[1, 6] from nq in Gen.Int[1, 9] from d in Gen.Int[1, 20] from seed in Gen.ULong
                    select (kSim, reps, nq, d, seed);
        cases.Sample(c =>
        {
            var random = new DeterministicRandom(c.seed ^ 0x5EED);
            var center = new TokenCenter(MultiVectorTestData.Gaussian(random, 1, c.d).Values.ToArray());
            var encoder = new MuveraEncoder(new MuveraParameters { Dimension = c.d, DProj = c.d, KSim = c.kSim, Repetitions = c.reps, Seed = c.seed, Center = center });
            var query = MultiVectorTestData.Gaussian(random, c.nq, c.d);
            var document = MultiVectorTestData.Gaussian(random, 1, c.d);
            var fdeScore = TensorPrimitives.Dot(encoder.EncodeQuery(query), encoder.EncodeDocument(document));
            var expected = c.reps * Chamfer.ScoreScalar(query, document);
            Assert.True(MathF.Abs(fdeScore - expected) <= 1e-4f * (1 + MathF.Abs(expected)) * c.reps * c.nq, $"{fdeScore} vs {expected} for {c}");
        }, iter: 100);
    }

    [Fact]
    public void KSimZero_CenterChangesNoBit()
    {
        // One bucket: there are no hyperplanes for the center to move, so the k_sim = 0 identity holds unchanged.
        const int D = 10;
        var random = new DeterministicRandom(41);
        var parameters = new MuveraParameters { Dimension = D, DProj = 4, KSim = 0, Repetitions = 3, Seed = 42 };
        var centered = new MuveraEncoder(parameters with { Center = new TokenCenter(MultiVectorTestData.Gaussian(random, 1, D).Values.ToArray()) });
        var plain = new MuveraEncoder(parameters);
        var tokens = MultiVectorTestData.Gaussian(random, 7, D);
        Assert.Equal(plain.EncodeDocument(tokens), centered.EncodeDocument(tokens));
        Assert.Equal(plain.EncodeQuery(tokens), centered.EncodeQuery(tokens));
    }

    [Fact]
    public void ZeroCenter_GivesTheUncenteredEncodings()
    {
        var random = new DeterministicRandom(51);
        var parameters = MuveraParameters.EndToEndPreset(dimension: 20, seed: 52);
        var plain = new MuveraEncoder(parameters);
        var zero = new MuveraEncoder(parameters with { Center = new TokenCenter(new float[20]) });
        var tokens = MultiVectorTestData.Gaussian(random, 13, 20);
        Assert.Equal(plain.EncodeDocument(tokens), zero.EncodeDocument(tokens));
        Assert.Equal(plain.EncodeQuery(tokens), zero.EncodeQuery(tokens));
    }

    [Fact]
    public void CenteredQueryEncoding_HasAtMostQueryTokenCountNonEmptyBlocksPerRepetition()
    {
        var random = new DeterministicRandom(61);
        var parameters = MuveraParameters.CompactPreset(dimension: 32, seed: 62) with { Center = new TokenCenter(MultiVectorTestData.UnitVector(random, 32)) };
        var encoder = new MuveraEncoder(parameters);
        for (var trial = 0; trial < 20; trial++)
        {
            var query = MultiVectorTestData.Gaussian(random, 1 + random.NextInt(12), 32);
            var encoding = encoder.EncodeQuery(query);
            for (var r = 0; r < parameters.Repetitions; r++)
            {
                Assert.InRange(NonEmptyBlocks(encoding, parameters, r).Count, 1, query.Count);
            }
        }
    }

    [Fact]
    public void SerializeThenDeserialize_KeepsTheCenterBitForBit_AndTheEncodings()
    {
        var random = new DeterministicRandom(71);
        var values = MultiVectorTestData.Gaussian(random, 1, 40).Values.ToArray();
        values[3] = -0f; // a sign of zero must survive too
        var parameters = MuveraParameters.CompactPreset(dimension: 40, seed: 72) with { Center = new TokenCenter(values), DFinal = 500 };
        var original = new MuveraEncoder(parameters);
        var blob = original.Serialize();
        Assert.Equal(53 + (40 * sizeof(float)), blob.Length);
        var reloaded = MuveraEncoder.Deserialize(blob);
        Assert.Equal(parameters, reloaded.Parameters);
        Assert.Equal(BitConverter.SingleToUInt32Bits(-0f), BitConverter.SingleToUInt32Bits(reloaded.Parameters.Center!.Values[3]));
        var tokens = MultiVectorTestData.Gaussian(random, 9, 40);
        Assert.Equal(original.EncodeDocument(tokens), reloaded.EncodeDocument(tokens));
        Assert.Equal(original.EncodeQuery(tokens), reloaded.EncodeQuery(tokens));
    }

    [Fact]
    public void UncenteredBlob_StaysFormatOne()
    {
        // Existing spaces keep their persisted state byte for byte.
        var blob = new MuveraEncoder(MuveraParameters.CompactPreset(16)).Serialize();
        Assert.Equal(53, blob.Length);
        Assert.Equal(MuveraEncoder.FormatVersion, BitConverter.ToUInt16(blob, 4));
    }

    [Fact]
    public void Deserialize_CorruptedCenterByte_Throws()
    {
        var parameters = MuveraParameters.CompactPreset(8) with { Center = new TokenCenter([1, 2, 3, 4, 5, 6, 7, 8]) };
        var blob = new MuveraEncoder(parameters).Serialize();
        blob[50] ^= 4;
        Assert.Throws<InvalidDataException>(() => MuveraEncoder.Deserialize(blob));
    }

    [Fact]
    public void Center_OfWrongDimensionOrNotFinite_IsRefused()
    {
        var parameters = MuveraParameters.CompactPreset(4);
        Assert.Contains("Center has 3", Assert.Throws<ArgumentException>(() => new MuveraEncoder(parameters with { Center = new TokenCenter([1, 2, 3]) })).Message);
        Assert.Contains("Center component 2", Assert.Throws<ArgumentException>(() => new MuveraEncoder(parameters with { Center = new TokenCenter([1, 2, float.NaN, 4]) })).Message);
    }

    [Fact]
    public void MeanOf_AveragesTheFirstTokensInOrder()
    {
        var first = TokenMatrix.FromRowMajor([1, 2, 3, 4], 2);
        var second = TokenMatrix.FromRowMajor([5, 6, 100, 100], 2);
        Assert.Equal([3f, 4f], TokenCenter.MeanOf([first, second], 2, maxTokens: 3).Values);
        Assert.Equal([2f, 3f], TokenCenter.MeanOf([first, second], 2, maxTokens: 2).Values);
        Assert.Equal(new TokenCenter([3f, 4f]), TokenCenter.MeanOf([first, second], 2, maxTokens: 3));
    }

    [Fact]
    public void ParametersWithCenter_RoundTripThroughJson_AndCompareByValue()
    {
        // −0 must survive the definition JSON too: centers compare bit for bit.
        var parameters = MuveraParameters.CompactPreset(4, seed: 5) with { Center = new TokenCenter([0.1f, -0.3333333f, 1e-7f, -0f]) };
        var json = JsonSerializer.Serialize(parameters);
        var back = JsonSerializer.Deserialize<MuveraParameters>(json);
        Assert.Equal(parameters, back);
        Assert.NotEqual(parameters, parameters with { Center = new TokenCenter([0.1f, -0.3333333f, 2e-7f, -0f]) });
        Assert.DoesNotContain("center", JsonSerializer.Serialize(MuveraParameters.CompactPreset(3)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void NearestKeys_VectorPasses_MatchScalarPasses_AndTheBruteForceDefinition()
    {
        var shapes = from kSim in Gen.Int[0, 10] from n in Gen.Int[1, 40] from seed in Gen.ULong select (kSim, n, seed);
        shapes.Sample(shape =>
        {
            var buckets = 1 << shape.kSim;
            var random = new DeterministicRandom(shape.seed);
            var patterns = Enumerable.Range(0, shape.n).Select(_ => random.NextInt(buckets)).ToArray();
            var keys = new int[buckets];
            NearestKeys.Compute(patterns, keys);
            var scalar = Enumerable.Repeat(int.MaxValue >> 1, buckets).ToArray();
            for (var t = patterns.Length - 1; t >= 0; t--)
            {
                scalar[patterns[t]] = t;
            }

            NearestKeys.RelaxScalar(scalar);
            Assert.Equal(scalar, keys);
            for (var b = 0; b < buckets; b++)
            {
                var best = Enumerable.Range(0, shape.n).MinBy(t => (System.Numerics.BitOperations.PopCount((uint)(b ^ patterns[t])) * 100000) + t);
                Assert.Equal(best, NearestKeys.TokenOf(keys[b]));
            }
        }, iter: 200);
    }

    private static List<int> NonEmptyBlocks(float[] encoding, MuveraParameters parameters, int repetition)
    {
        var blocks = new List<int>();
        for (var b = 0; b < parameters.BucketCount; b++)
        {
            if (encoding.AsSpan(((repetition * parameters.BucketCount) + b) * parameters.DProj, parameters.DProj).ContainsAnyExcept(0f))
            {
                blocks.Add(b);
            }
        }

        return blocks;
    }
}

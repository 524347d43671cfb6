using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

/// <summary>Seeded synthetic multi-vectors for the property and recall tests.</summary>
internal static class MultiVectorTestData
{
    /// <summary>n × d standard normal components.</summary>
    public static TokenMatrix Gaussian(DeterministicRandom random, int n, int d, bool normalize = false)
    {
        var values = new float[n * d];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextGaussian();
        }

        if (normalize)
        {
            for (var t = 0; t < n; t++)
            {
                Normalize(values.AsSpan(t * d, d));
            }
        }

        return TokenMatrix.FromRowMajor(values, d);
    }

    public static float[] UnitVector(DeterministicRandom random, int d)
    {
        var v = new float[d];
        for (var i = 0; i < d; i++)
        {
            v[i] = (float)random.NextGaussian();
        }

        Normalize(v);
        return v;
    }

    /// <summary>Unit token = unit(center + noise·g/√d), g standard normal per component (so ‖noise‖ ≈ noise).</summary>
    public static float[] NoisyToken(DeterministicRandom random, ReadOnlySpan<float> center, float noise)
    {
        var v = new float[center.Length];
        var scale = noise / MathF.Sqrt(center.Length);
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = center[i] + (scale * (float)random.NextGaussian());
        }

        Normalize(v);
        return v;
    }

    /// <summary>
    /// A clustered corpus: <paramref name="topics"/> random unit topic centers; each document draws 2–3 topics and
    /// 8–24 tokens, each a noisy copy of one of its topics. Queries take 3–8 tokens of a random document and perturb
    /// them again, so every query has a planted near neighbour among the documents.
    /// </summary>
    public static (List<TokenMatrix> Documents, List<TokenMatrix> Queries) ClusteredCorpus(
        ulong seed, int documents, int queries, int d, int topics = 64, float noise = 0.5f)
    {
        var random = new DeterministicRandom(seed);
        var centers = Enumerable.Range(0, topics).Select(_ => UnitVector(random, d)).ToArray();
        var docs = new List<TokenMatrix>(documents);
        for (var i = 0; i < documents; i++)
        {
            var own = Enumerable.Range(0, 2 + random.NextInt(2)).Select(_ => centers[random.NextInt(topics)]).ToArray();
            var count = 8 + random.NextInt(17);
            docs.Add(TokenMatrix.FromRows(Enumerable.Range(0, count).Select(_ => NoisyToken(random, own[random.NextInt(own.Length)], noise)).ToArray()));
        }

        var qs = new List<TokenMatrix>(queries);
        for (var i = 0; i < queries; i++)
        {
            var source = docs[random.NextInt(documents)];
            var count = 3 + random.NextInt(6);
            qs.Add(TokenMatrix.FromRows(Enumerable.Range(0, count).Select(_ => NoisyToken(random, source.Row(random.NextInt(source.Count)), noise)).ToArray()));
        }

        return (docs, qs);
    }

    public static void Normalize(Span<float> v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
    }
}

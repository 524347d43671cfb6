using System.Numerics;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna) seeded through SplitMix64: a small, fast, portable PRNG whose output is fixed by the
/// seed on every machine and runtime. Used instead of <see cref="System.Random"/>, whose sequence is an implementation
/// detail, so that MUVERA matrices and k-means seeds regenerate bit-for-bit from a stored seed.
/// </summary>
/// <remarks>
/// Only integer arithmetic and IEEE-754 correctly rounded operations (+, −, ×, ÷, √) are used; the Gaussian sampler's
/// logarithm is <see cref="DeterministicMath.Log"/>, not <see cref="Math.Log(double)"/> (whose last bit may vary by
/// platform). Not thread-safe; not cryptographic.
/// </remarks>
public sealed class DeterministicRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double _spareGaussian;
    private bool _hasSpareGaussian;

    /// <summary>Seeds the four state words with four consecutive SplitMix64 outputs of <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed)
    {
        var state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> by the golden-ratio increment and mixes it.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="bound"/>), unbiased (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var m = (NextUInt64() >> 32) * (ulong)bound;
        if ((uint)m < (uint)bound)
        {
            // Reject the low 2^32 mod bound products so every residue is equally likely.
            var threshold = (uint)-bound % (uint)bound;
            while ((uint)m < threshold)
            {
                m = (NextUInt64() >> 32) * (ulong)bound;
            }
        }

        return (int)(m >> 32);
    }

    /// <summary>+1 or −1 with equal probability (one random bit).</summary>
    public int NextSign() => (NextUInt64() >> 63) == 0 ? 1 : -1;

    /// <summary>
    /// A standard normal sample by the polar form of Box–Muller (Marsaglia): draw (u, v) uniform in the unit disc,
    /// s = u² + v², then u·√(−2 ln s / s) and v·√(−2 ln s / s) are two independent N(0, 1) samples; the second is
    /// kept for the next call.
    /// </summary>
    public double NextGaussian()
    {
        if (_hasSpareGaussian)
        {
            _hasSpareGaussian = false;
            return _spareGaussian;
        }

        double u, v, s;
        do
        {
            u = (2.0 * NextDouble()) - 1.0;
            v = (2.0 * NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        var factor = Math.Sqrt(-2.0 * DeterministicMath.Log(s) / s);
        _spareGaussian = v * factor;
        _hasSpareGaussian = true;
        return u * factor;
    }
}

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Transcendental functions computed with IEEE-754 correctly rounded operations only, so that their results are the
/// same bits on every machine (unlike <see cref="Math.Log(double)"/>, which calls the platform's C library).
/// </summary>
public static class DeterministicMath
{
    private const double Ln2 = 0.693147180559945309417232121458;
    private const double Sqrt2 = 1.41421356237309504880168872421;

    /// <summary>
    /// Natural logarithm of a positive normal double, accurate to a few ulps.
    /// x = m·2^e with m ∈ [√½, √2); ln x = e·ln 2 + ln m, and ln m = 2·atanh(z) = 2·(z + z³/3 + z⁵/5 + …) with
    /// z = (m − 1)/(m + 1), |z| ≤ 0.172, so z² ≤ 0.0295 and 14 terms reach below 1e-20 relative.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="x"/> is not a positive normal finite number.</exception>
    public static double Log(double x)
    {
        if (!double.IsNormal(x) || x < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "Log needs a positive normal finite argument");
        }

        var bits = BitConverter.DoubleToUInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        // Replace the exponent by 0 (biased 1023): mantissa m ∈ [1, 2).
        var m = BitConverter.UInt64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFUL) | 0x3FF0_0000_0000_0000UL);
        if (m >= Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        var z = (m - 1.0) / (m + 1.0);
        var z2 = z * z;
        // Horner form of Σ_{k=0}^{13} z^{2k}/(2k+1), evaluated from the highest term down.
        var series = 0.0;
        for (var k = 13; k >= 0; k--)
        {
            series = (series * z2) + (1.0 / ((2 * k) + 1));
        }

        return (exponent * Ln2) + (2.0 * z * series);
    }
}

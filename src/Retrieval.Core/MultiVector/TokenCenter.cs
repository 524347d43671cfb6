using System.Text.Json.Serialization;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// The point μ SimHash hyperplanes pass through (<see cref="MuveraParameters.Center"/>): bucket bits become the signs
/// of ⟨g, x − μ⟩ instead of ⟨g, x⟩. Token vectors of real models are anisotropic (their mean is far from 0), so
/// hyperplanes through the origin split them unevenly; through their mean they split them evenly.
/// </summary>
/// <remarks>
/// Immutable, and equal to another center exactly when every component has the same bits, so parameter records that
/// hold one compare by value (definitions are compared to detect changes) and a persisted center is the same center.
/// </remarks>
public sealed class TokenCenter : IEquatable<TokenCenter>
{
    private readonly float[] _values;

    /// <summary>Copies <paramref name="values"/>.</summary>
    [JsonConstructor]
    public TokenCenter(IReadOnlyList<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = [.. values];
    }

    /// <summary>μ, one component per token dimension.</summary>
    public IReadOnlyList<float> Values => _values;

    /// <summary>Number of components.</summary>
    [JsonIgnore]
    public int Dimension => _values.Length;

    /// <summary>μ as a span (no copy).</summary>
    public ReadOnlySpan<float> AsSpan() => _values;

    /// <summary>
    /// The mean of the first <paramref name="maxTokens"/> rows of <paramref name="tokens"/>, taken in order, summed in
    /// double precision and rounded once: the same rows always give the same bits.
    /// </summary>
    public static TokenCenter MeanOf(IEnumerable<TokenMatrix> tokens, int dimension, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var sum = new double[dimension];
        var used = 0;
        foreach (var matrix in tokens)
        {
            if (matrix.Dimension != dimension)
            {
                throw new ArgumentException($"tokens have {matrix.Dimension} components, expected {dimension}", nameof(tokens));
            }

            for (var t = 0; t < matrix.Count && used < maxTokens; t++, used++)
            {
                var row = matrix.Row(t);
                for (var c = 0; c < dimension; c++)
                {
                    sum[c] += row[c];
                }
            }

            if (used == maxTokens)
            {
                break;
            }
        }

        if (used == 0)
        {
            throw new ArgumentException("no tokens to average", nameof(tokens));
        }

        return new TokenCenter(sum.Select(s => (float)(s / used)).ToArray());
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless μ has <paramref name="dimension"/> finite components.</summary>
    public void Validate(int dimension)
    {
        if (_values.Length != dimension)
        {
            throw new ArgumentException($"Center has {_values.Length} components, the tokens have {dimension}");
        }

        for (var c = 0; c < _values.Length; c++)
        {
            if (!float.IsFinite(_values[c]))
            {
                throw new ArgumentException($"Center component {c} is not a finite number");
            }
        }
    }

    public bool Equals(TokenCenter? other) =>
        other is not null && _values.AsSpan().SequenceEqual(other._values.AsSpan(), BitwiseFloatComparer.Instance);

    public override bool Equals(object? obj) => Equals(obj as TokenCenter);

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var value in _values)
        {
            hash.Add(BitConverter.SingleToUInt32Bits(value));
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(TokenCenter? left, TokenCenter? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(TokenCenter? left, TokenCenter? right) => !(left == right);

    /// <summary>Equality of float bits (so −0 ≠ +0 and NaN = NaN): "the same center" means the same encodings.</summary>
    private sealed class BitwiseFloatComparer : IEqualityComparer<float>
    {
        public static readonly BitwiseFloatComparer Instance = new();

        public bool Equals(float x, float y) => BitConverter.SingleToUInt32Bits(x) == BitConverter.SingleToUInt32Bits(y);

        public int GetHashCode(float obj) => BitConverter.SingleToUInt32Bits(obj).GetHashCode();
    }
}

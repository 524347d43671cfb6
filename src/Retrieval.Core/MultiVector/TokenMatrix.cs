namespace Retrieval.Core.MultiVector;

/// <summary>
/// A multi-vector: <see cref="Count"/> token vectors of <see cref="Dimension"/> float32 components, stored row-major in
/// one contiguous array (token t occupies [t·d, (t+1)·d)). Immutable once built; safe to share between threads.
/// </summary>
/// <remarks>
/// Invariants (checked by the public factories): at least one token, every row the same length, every component finite.
/// Named <c>TokenMatrix</c> rather than <c>MultiVector</c> so that the type does not collide with its namespace
/// (a type named like an enclosing namespace forces every caller to qualify it).
/// </remarks>
public sealed class TokenMatrix
{
    private readonly float[] _values;

    private TokenMatrix(float[] values, int count, int dimension)
    {
        _values = values;
        Count = count;
        Dimension = dimension;
    }

    /// <summary>Number of token vectors (n ≥ 1).</summary>
    public int Count { get; }

    /// <summary>Components per token vector (d ≥ 1).</summary>
    public int Dimension { get; }

    /// <summary>All components, row-major: n·d floats.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Token vector <paramref name="token"/>.</summary>
    public ReadOnlySpan<float> Row(int token)
    {
        if ((uint)token >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(token));
        }

        return _values.AsSpan(token * Dimension, Dimension);
    }

    /// <summary>Copies and validates <paramref name="values"/> (row-major, n·<paramref name="dimension"/> floats).</summary>
    /// <exception cref="ArgumentException">Empty, not a whole number of rows, or a NaN/∞ component.</exception>
    public static TokenMatrix FromRowMajor(ReadOnlySpan<float> values, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (values.IsEmpty)
        {
            throw new ArgumentException("a multi-vector needs at least one token vector", nameof(values));
        }

        if (values.Length % dimension != 0)
        {
            throw new ArgumentException($"{values.Length} values are not a whole number of {dimension}-component rows", nameof(values));
        }

        CheckFinite(values, dimension);
        return new TokenMatrix(values.ToArray(), values.Length / dimension, dimension);
    }

    /// <summary>Copies and validates a list of rows: non-empty, all of one length, all finite.</summary>
    /// <exception cref="ArgumentException">Empty, ragged, or a NaN/∞ component.</exception>
    public static TokenMatrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0 || rows[0] is null || rows[0].Length == 0)
        {
            throw new ArgumentException("a multi-vector needs at least one non-empty token vector", nameof(rows));
        }

        var dimension = rows[0].Length;
        var values = new float[checked(rows.Count * dimension)];
        for (var t = 0; t < rows.Count; t++)
        {
            var row = rows[t];
            if (row is null || row.Length != dimension)
            {
                throw new ArgumentException($"row {t} has {row?.Length ?? 0} components, row 0 has {dimension} (ragged rows)", nameof(rows));
            }

            row.CopyTo(values, t * dimension);
        }

        CheckFinite(values, dimension);
        return new TokenMatrix(values, rows.Count, dimension);
    }

    /// <summary>Wraps an array built by this library without copying or re-validating it.</summary>
    internal static TokenMatrix Wrap(float[] values, int dimension) => new(values, values.Length / dimension, dimension);

    /// <summary>True when every token has ‖x‖₂ within <paramref name="tolerance"/> of 1.</summary>
    public bool IsUnitNormalized(float tolerance = 1e-3f)
    {
        for (var t = 0; t < Count; t++)
        {
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(Row(t));
            if (MathF.Abs(norm - 1f) > tolerance)
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int dimension)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"token {i / dimension}, component {i % dimension} is {values[i]} (NaN and ±∞ are rejected)", nameof(values));
            }
        }
    }
}

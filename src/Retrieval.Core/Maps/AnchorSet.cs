using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// Paired anchor rows: row i of <see cref="New"/> (<c>n × d_n</c>) and row i of <see cref="Old"/> (<c>n × d_o</c>) are the
/// same item embedded by the new and the old model. Validated on construction: positive dimensions, equal row counts, finite.
/// </summary>
public sealed class AnchorSet
{
    private readonly float[] _new;
    private readonly float[] _old;

    /// <summary>Creates an anchor set from row-major copies of both sides.</summary>
    /// <exception cref="RetrievalException">InvalidArgument on field <c>anchors</c> for a shape mismatch or a non-finite value.</exception>
    public AnchorSet(ReadOnlySpan<float> newVectors, int newDimension, ReadOnlySpan<float> oldVectors, int oldDimension)
    {
        if (newDimension <= 0 || oldDimension <= 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), "dimensions must be positive");
        }

        if (newVectors.Length % newDimension != 0 || oldVectors.Length % oldDimension != 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), "vector data is not a whole number of rows");
        }

        var count = newVectors.Length / newDimension;
        if (oldVectors.Length / oldDimension != count)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), $"{count} new rows but {oldVectors.Length / oldDimension} old rows");
        }

        CheckFinite(newVectors, newDimension, "new");
        CheckFinite(oldVectors, oldDimension, "old");
        Count = count;
        NewDimension = newDimension;
        OldDimension = oldDimension;
        _new = newVectors.ToArray();
        _old = oldVectors.ToArray();
    }

    /// <summary>Number of anchor pairs.</summary>
    public int Count { get; }

    /// <summary><c>d_n</c>, the new (source) dimension.</summary>
    public int NewDimension { get; }

    /// <summary><c>d_o</c>, the old (target) dimension.</summary>
    public int OldDimension { get; }

    /// <summary>New-model vectors, row-major <c>n × d_n</c>.</summary>
    public ReadOnlySpan<float> New => _new;

    /// <summary>Old-model vectors, row-major <c>n × d_o</c>.</summary>
    public ReadOnlySpan<float> Old => _old;

    /// <summary>Row <paramref name="i"/> of the new side.</summary>
    public ReadOnlySpan<float> NewRow(int i) => _new.AsSpan(i * NewDimension, NewDimension);

    /// <summary>Row <paramref name="i"/> of the old side.</summary>
    public ReadOnlySpan<float> OldRow(int i) => _old.AsSpan(i * OldDimension, OldDimension);

    /// <summary>
    /// A seeded split into fit and held-out anchors: a Fisher–Yates shuffle with <see cref="Random"/>(seed) (whose seeded
    /// sequence is stable across .NET versions), the first <c>round(n·fraction)</c> rows held out, both parts kept in source order.
    /// </summary>
    /// <param name="heldOutFraction">Share held out for evaluation, in <c>[0, 1)</c>.</param>
    /// <param name="seed">Shuffle seed.</param>
    public AnchorSplit Split(double heldOutFraction, int seed)
    {
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
        {
            throw RetrievalException.Invalid(FieldPath.Of("heldOutFraction"), "must be in [0, 1)");
        }

        var order = Enumerable.Range(0, Count).ToArray();
        var random = new Random(seed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var heldOut = (int)Math.Round(Count * heldOutFraction, MidpointRounding.AwayFromZero);
        var held = order[..heldOut];
        var fit = order[heldOut..];
        Array.Sort(held);
        Array.Sort(fit);
        return new AnchorSplit(Select(fit), Select(held));
    }

    /// <summary>The anchors at the given rows, in that order.</summary>
    public AnchorSet Select(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var n = new float[rows.Count * NewDimension];
        var o = new float[rows.Count * OldDimension];
        for (var i = 0; i < rows.Count; i++)
        {
            NewRow(rows[i]).CopyTo(n.AsSpan(i * NewDimension));
            OldRow(rows[i]).CopyTo(o.AsSpan(i * OldDimension));
        }

        return new AnchorSet(n, NewDimension, o, OldDimension);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int dimension, string side)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw RetrievalException.Invalid(FieldPath.Of("anchors"), $"{side} vector of anchor {i / dimension} has a non-finite component {i % dimension}");
            }
        }
    }
}

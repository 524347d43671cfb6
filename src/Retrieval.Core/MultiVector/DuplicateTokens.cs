using System.Numerics.Tensors;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Duplicate removal within one item (<see cref="PruningOptions.Dedup"/>): keeps the first of every group of tokens
/// within a distance δ of an earlier kept token, in token order. Chamfer takes a maximum over the document's tokens, so
/// dropping exact repeats (δ = 0) never changes a score — the only pruning that is lossless by construction.
/// </summary>
public static class DuplicateTokens
{
    /// <summary>The tokens with duplicates dropped; <paramref name="tokens"/> itself when none is.</summary>
    public static TokenMatrix Drop(TokenMatrix tokens, float maxDistance)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var d = tokens.Dimension;
        var keep = new List<int>(tokens.Count);
        if (maxDistance == 0)
        {
            // Exact: equal component values (finite floats, so value equality; +0 and −0 count as equal, as their
            // inner products do). A hash of the row's values finds candidates in O(n·d).
            var seen = new Dictionary<int, List<int>>();
            for (var t = 0; t < tokens.Count; t++)
            {
                var row = tokens.Row(t);
                var hash = HashOf(row);
                if (seen.TryGetValue(hash, out var same))
                {
                    if (ContainsRow(tokens, same, row))
                    {
                        continue;
                    }

                    same.Add(t);
                }
                else
                {
                    seen.Add(hash, [t]);
                }

                keep.Add(t);
            }
        }
        else
        {
            var limit = maxDistance * maxDistance;
            var difference = new float[d];
            for (var t = 0; t < tokens.Count; t++)
            {
                var row = tokens.Row(t);
                var duplicate = false;
                foreach (var k in keep)
                {
                    TensorPrimitives.Subtract(row, tokens.Row(k), difference);
                    if (TensorPrimitives.Dot(difference, difference) <= limit)
                    {
                        duplicate = true;
                        break;
                    }
                }

                if (!duplicate)
                {
                    keep.Add(t);
                }
            }
        }

        if (keep.Count == tokens.Count)
        {
            return tokens;
        }

        var values = new float[keep.Count * d];
        for (var i = 0; i < keep.Count; i++)
        {
            tokens.Row(keep[i]).CopyTo(values.AsSpan(i * d, d));
        }

        return TokenMatrix.Wrap(values, d);
    }

    private static bool ContainsRow(TokenMatrix tokens, List<int> candidates, ReadOnlySpan<float> row)
    {
        foreach (var k in candidates)
        {
            if (row.SequenceEqual(tokens.Row(k)))
            {
                return true;
            }
        }

        return false;
    }

    private static int HashOf(ReadOnlySpan<float> row)
    {
        var hash = default(HashCode);
        foreach (var value in row)
        {
            hash.Add(value == 0 ? 0u : BitConverter.SingleToUInt32Bits(value)); // ±0 hash alike, as they compare equal
        }

        return hash.ToHashCode();
    }
}

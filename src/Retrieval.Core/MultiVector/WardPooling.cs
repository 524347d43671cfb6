using System.Numerics.Tensors;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Agglomerative clustering with Ward's linkage (Clavié et al.'s hierarchical token pooling): start from singletons and
/// repeatedly merge the pair with the smallest increase of within-cluster variance,
/// Δ(A, B) = |A|·|B| / (|A| + |B|) · ‖μ_A − μ_B‖², until the target count remains. Deterministic: ties go to the
/// lexicographically smallest (i, j), and costs are recomputed from the merged means (no Lance–Williams drift).
/// </summary>
/// <remarks>O(n³ + n²·d) time and O(n²) memory: meant for one item's tokens (hundreds), not for collections.</remarks>
internal static class WardPooling
{
    /// <summary>Pools n row-major points to <paramref name="target"/> cluster means, ordered by their first member.</summary>
    public static float[] Pool(ReadOnlySpan<float> points, int n, int d, int target)
    {
        target = Math.Clamp(target, 1, n);
        var sums = points[..(n * d)].ToArray();
        var sizes = new int[n];
        Array.Fill(sizes, 1);
        var active = new bool[n];
        Array.Fill(active, true);
        var cost = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                cost[(i * n) + j] = MergeCost(sums, sizes, d, i, j);
            }
        }

        for (var clusters = n; clusters > target; clusters--)
        {
            int bestI = -1, bestJ = -1;
            var best = double.PositiveInfinity;
            for (var i = 0; i < n; i++)
            {
                if (!active[i])
                {
                    continue;
                }

                for (var j = i + 1; j < n; j++)
                {
                    if (active[j] && cost[(i * n) + j] < best)
                    {
                        best = cost[(i * n) + j];
                        bestI = i;
                        bestJ = j;
                    }
                }
            }

            // Merge j into i (i < j, so a cluster is always represented by its first member).
            var into = sums.AsSpan(bestI * d, d);
            TensorPrimitives.Add(into, sums.AsSpan(bestJ * d, d), into);
            sizes[bestI] += sizes[bestJ];
            active[bestJ] = false;
            for (var other = 0; other < n; other++)
            {
                if (active[other] && other != bestI)
                {
                    var (a, b) = other < bestI ? (other, bestI) : (bestI, other);
                    cost[(a * n) + b] = MergeCost(sums, sizes, d, a, b);
                }
            }
        }

        var result = new float[target * d];
        var next = 0;
        for (var i = 0; i < n; i++)
        {
            if (active[i])
            {
                TensorPrimitives.Divide(sums.AsSpan(i * d, d), sizes[i], result.AsSpan(next++ * d, d));
            }
        }

        return result;
    }

    private static double MergeCost(float[] sums, int[] sizes, int d, int i, int j)
    {
        // ‖μ_i − μ_j‖² from the sums, in double: μ = sum / size.
        double distance = 0;
        for (var c = 0; c < d; c++)
        {
            var diff = ((double)sums[(i * d) + c] / sizes[i]) - ((double)sums[(j * d) + c] / sizes[j]);
            distance += diff * diff;
        }

        return (double)sizes[i] * sizes[j] / (sizes[i] + sizes[j]) * distance;
    }
}

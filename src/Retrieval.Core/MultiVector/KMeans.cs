using System.Numerics.Tensors;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Lloyd's k-means on a small point set (one item's tokens) with k-means++ seeding, a fixed number of iterations and a
/// <see cref="DeterministicRandom"/>: the same input and seed give the same centroids on every run and machine
/// (up to the float kernels, which are deterministic on one kernel path).
/// </summary>
internal static class KMeans
{
    /// <summary>
    /// Clusters n row-major points of dimension d into at most k groups. Returns the centroids of the non-empty clusters
    /// (cluster index order) as a row-major array; duplicates in the input can leave fewer than k distinct clusters.
    /// </summary>
    public static float[] Cluster(ReadOnlySpan<float> points, int n, int d, int k, int iterations, ulong seed)
    {
        k = Math.Min(k, n);
        var random = new DeterministicRandom(seed);
        var centroids = new float[k * d];
        Seed(points, n, d, k, random, centroids);

        var assignment = new int[n];
        var sizes = new int[k];
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var changed = Assign(points, n, d, centroids, k, assignment);
            if (!changed && iteration > 0)
            {
                break;
            }

            // Update: the mean of each cluster; an empty cluster keeps its previous centroid.
            var sums = new float[k * d];
            Array.Clear(sizes);
            for (var i = 0; i < n; i++)
            {
                var target = sums.AsSpan(assignment[i] * d, d);
                TensorPrimitives.Add(target, points.Slice(i * d, d), target);
                sizes[assignment[i]]++;
            }

            for (var c = 0; c < k; c++)
            {
                if (sizes[c] > 0)
                {
                    TensorPrimitives.Divide(sums.AsSpan(c * d, d), sizes[c], centroids.AsSpan(c * d, d));
                }
            }
        }

        Assign(points, n, d, centroids, k, assignment);
        Array.Clear(sizes);
        foreach (var a in assignment)
        {
            sizes[a]++;
        }

        var kept = sizes.Count(s => s > 0);
        var result = new float[kept * d];
        var next = 0;
        for (var c = 0; c < k; c++)
        {
            if (sizes[c] > 0)
            {
                centroids.AsSpan(c * d, d).CopyTo(result.AsSpan(next++ * d, d));
            }
        }

        return result;
    }

    /// <summary>
    /// k-means++: the first center is a uniform point; each next one is point i with probability D(i)²/Σ D², D(i) the
    /// distance to the nearest chosen center. When every D is 0 (fewer distinct points than k) the next point is uniform.
    /// </summary>
    private static void Seed(ReadOnlySpan<float> points, int n, int d, int k, DeterministicRandom random, float[] centroids)
    {
        var nearest = new double[n];
        var first = random.NextInt(n);
        points.Slice(first * d, d).CopyTo(centroids);
        for (var i = 0; i < n; i++)
        {
            nearest[i] = SquaredDistance(points.Slice(i * d, d), centroids.AsSpan(0, d));
        }

        for (var c = 1; c < k; c++)
        {
            var total = 0.0;
            foreach (var value in nearest)
            {
                total += value;
            }

            int chosen;
            if (total <= 0)
            {
                chosen = random.NextInt(n);
            }
            else
            {
                var target = random.NextDouble() * total;
                chosen = n - 1;
                for (var i = 0; i < n; i++)
                {
                    target -= nearest[i];
                    if (target < 0)
                    {
                        chosen = i;
                        break;
                    }
                }
            }

            var center = centroids.AsSpan(c * d, d);
            points.Slice(chosen * d, d).CopyTo(center);
            for (var i = 0; i < n; i++)
            {
                nearest[i] = Math.Min(nearest[i], SquaredDistance(points.Slice(i * d, d), center));
            }
        }
    }

    /// <summary>Assigns each point to its nearest centroid (ties → lowest index); returns whether any assignment changed.</summary>
    private static bool Assign(ReadOnlySpan<float> points, int n, int d, float[] centroids, int k, int[] assignment)
    {
        var changed = false;
        for (var i = 0; i < n; i++)
        {
            var point = points.Slice(i * d, d);
            var best = 0;
            var bestDistance = double.PositiveInfinity;
            for (var c = 0; c < k; c++)
            {
                var distance = SquaredDistance(point, centroids.AsSpan(c * d, d));
                if (distance < bestDistance)
                {
                    best = c;
                    bestDistance = distance;
                }
            }

            changed |= assignment[i] != best;
            assignment[i] = best;
        }

        return changed;
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var distance = TensorPrimitives.Distance(a, b);
        return (double)distance * distance;
    }
}

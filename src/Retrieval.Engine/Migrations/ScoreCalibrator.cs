using Retrieval.Core.Maps;
using Retrieval.Core.Search;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Fits <see cref="ScoreCalibration"/> on anchors (items holding both spaces). A sample of anchors serves as queries; for
/// each, the pairs that matter for a top-k merge are its nearest anchors by native score and by mapped score (itself
/// excluded: real queries are not gallery items). Ordinary least squares of native on mapped score over those pairs
/// gives the conditional mean of the native score an item would have, which is what the merge needs to rank a mapped
/// item against native ones.
/// </summary>
internal static class ScoreCalibrator
{
    /// <summary>Anchors used as calibration queries at most.</summary>
    public const int MaxQueries = 256;

    /// <summary>Anchors in the calibration gallery at most.</summary>
    public const int MaxGallery = 20_000;

    /// <summary>Nearest anchors per query taken by each score.</summary>
    public const int PairsPerQuery = 20;

    public static ScoreCalibration Fit(AnchorSet anchors, CompatibilityMap map, ScoreKind newKind, ScoreKind oldKind, bool normalizeMapped, int seed)
    {
        var count = anchors.Count;
        if (count < 3)
        {
            return ScoreCalibration.Identity;
        }

        var random = new Random(seed);
        var gallery = Sample(count, Math.Min(count, MaxGallery), random);
        var queries = gallery.Take(Math.Min(MaxQueries, gallery.Length)).ToArray();
        var dn = anchors.NewDimension;
        var dOld = anchors.OldDimension;
        var newStorage = new FlatVectorStorage(dn);
        var oldStorage = new FlatVectorStorage(dOld);
        foreach (var g in gallery)
        {
            newStorage.Add(anchors.New.Slice(g * dn, dn));
            oldStorage.Add(anchors.Old.Slice(g * dOld, dOld));
        }

        var take = Math.Min(PairsPerQuery + 1, gallery.Length);
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var q in queries)
        {
            var query = anchors.New.Slice(q * dn, dn);
            var mappedQuery = SpaceProjection.Apply(map, query, dOld, normalizeMapped);

            var rows = new HashSet<int>();
            foreach (var hit in ExactSearch.Search(newStorage, query, take, newKind))
            {
                rows.Add(hit.Row);
            }

            foreach (var hit in ExactSearch.Search(oldStorage, mappedQuery, take, oldKind))
            {
                rows.Add(hit.Row);
            }

            foreach (var row in rows)
            {
                if (gallery[row] == q)
                {
                    continue;
                }

                ys.Add(Score(query, newStorage.Row(row), newKind));
                xs.Add(Score(mappedQuery, oldStorage.Row(row), oldKind));
            }
        }

        return LeastSquares(xs, ys);
    }

    internal static ScoreCalibration LeastSquares(IReadOnlyList<double> mapped, IReadOnlyList<double> native)
    {
        var n = mapped.Count;
        if (n < 3)
        {
            return ScoreCalibration.Identity;
        }

        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += mapped[i];
            my += native[i];
        }

        mx /= n;
        my /= n;
        double sxx = 0, sxy = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = mapped[i] - mx;
            var dy = native[i] - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }

        // Mapped scores without spread carry no ranking information to calibrate; keep them as they are.
        if (!(sxx > 1e-12) || !(syy > 1e-12))
        {
            return ScoreCalibration.Identity with { Pairs = n };
        }

        var scale = sxy / sxx;
        return new ScoreCalibration(scale, my - scale * mx, n, sxy / Math.Sqrt(sxx * syy));
    }

    /// <summary>The score of one (query, row) pair, as exact search computes it.</summary>
    internal static double Score(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ScoreKind kind)
    {
        double dot = 0, l2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            var d = a[i] - b[i];
            l2 += d * d;
        }

        return kind == ScoreKind.NegativeSquaredL2 ? -l2 : dot;
    }

    /// <summary>A seeded sample of <paramref name="take"/> distinct indexes below <paramref name="count"/>, in random order.</summary>
    private static int[] Sample(int count, int take, Random random)
    {
        var all = Enumerable.Range(0, count).ToArray();
        for (var i = 0; i < take; i++)
        {
            var j = random.Next(i, count);
            (all[i], all[j]) = (all[j], all[i]);
        }

        return all[..take];
    }
}

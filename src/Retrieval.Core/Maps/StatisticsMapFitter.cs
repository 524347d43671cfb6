using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>
/// Fits the linear map kinds from <see cref="AnchorStatistics"/> alone, giving the map <see cref="MapFitter"/> fits on the
/// same pairs (up to rounding): Procrustes needs only the cross term, ridge the Gram matrix and the cross term, and the
/// λ-orthogonal objective the two plus <c>‖Ỹ‖²</c> (the trace of the old Gram matrix).
/// </summary>
public static class StatisticsMapFitter
{
    /// <summary>True for the kinds that fit from the statistics alone; the others (trained) need a sample of pairs.</summary>
    public static bool CanFit(MapKind kind) =>
        kind is MapKind.Orthogonal or MapKind.CanonicalQ or MapKind.Affine or MapKind.LambdaOrthogonal or MapKind.OrthogonalExtend;

    /// <summary>Fits a map of <see cref="MapFitOptions.Kind"/> (one of <see cref="CanFit"/>) from <paramref name="statistics"/>.</summary>
    /// <exception cref="RetrievalException">
    /// InvalidArgument: fewer pairs than the new dimension (field <c>anchors</c>), a kind that needs pairs, bad α or λ.
    /// </exception>
    public static CompatibilityMap Fit(AnchorStatistics statistics, MapFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(options);
        if (!CanFit(options.Kind))
        {
            throw RetrievalException.Invalid(FieldPath.Of("kind"), $"{options.Kind} is trained on pairs and cannot be fitted from statistics");
        }

        var dn = statistics.NewDimension;
        var dOld = statistics.OldDimension;
        if (statistics.Count < dn)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), $"{statistics.Count} pairs are fewer than the new dimension {dn}; a linear map is underdetermined");
        }

        var normalize = options.TargetMetric == Metric.Cosine;
        var meanNew = Vector<double>.Build.DenseOfArray(statistics.MeanNew.ToArray());
        var meanOld = Vector<double>.Build.DenseOfArray(statistics.MeanOld.ToArray());
        var centredCross = Matrix<double>.Build.DenseOfRowMajor(dn, dOld, statistics.Cross.ToArray());
        switch (options.Kind)
        {
            case MapKind.Orthogonal:
                return MapFitter.Linear(MapKind.Orthogonal, Procrustes.FromCrossCovariance(RawCross(statistics, centredCross, meanNew, meanOld)), null, null, normalize);

            case MapKind.CanonicalQ:
                return MapFitter.Linear(MapKind.CanonicalQ, Procrustes.FromCrossCovariance(centredCross), meanNew, meanOld, normalize);

            case MapKind.Affine:
            {
                MapFitter.RequirePositiveAlpha(options.Alpha);
                var gram = Matrix<double>.Build.DenseOfRowMajor(dn, dn, statistics.GramNew.ToArray());
                return MapFitter.Linear(MapKind.Affine, Ridge.SolveFromMoments(gram, centredCross, options.Alpha), meanNew, meanOld, normalize);
            }

            case MapKind.LambdaOrthogonal:
            {
                if (!(options.Lambda >= 0) || double.IsPositiveInfinity(options.Lambda))
                {
                    throw RetrievalException.Invalid(FieldPath.Of("lambda"), "must be finite and ≥ 0");
                }

                var yy = 0d;
                for (var j = 0; j < dOld; j++)
                {
                    yy += statistics.GramOld[(j * dOld) + j];
                }

                var w = LambdaOrthogonalSolver.SolveFromMoments(statistics.GramNew.ToArray(), statistics.Cross.ToArray(), yy, dn, dOld, options.Lambda, options.MaxIterations);
                return MapFitter.Linear(MapKind.LambdaOrthogonal, w, meanNew, meanOld, normalize);
            }

            default:
            {
                // Orthogonal extend: Procrustes of X_n against [X_o, 0], whose cross term is the raw cross term zero-padded.
                if (dn < dOld)
                {
                    throw RetrievalException.Invalid(FieldPath.Of("kind"), $"orthogonal extend needs the new dimension ({dn}) ≥ the old one ({dOld})");
                }

                var padded = Matrix<double>.Build.Dense(dn, dn);
                padded.SetSubMatrix(0, 0, RawCross(statistics, centredCross, meanNew, meanOld));
                var q = Procrustes.FromCrossCovariance(padded);
                return new CompatibilityMap(MapKind.OrthogonalExtend, dn, dn, DoubleMatrix.ToRowMajorSingle(q), normalizeOutput: normalize, compatiblePrefix: dOld);
            }
        }
    }

    /// <summary>The uncentred cross term <c>XₙᵀXₒ = C + n·μₙμₒᵀ</c>.</summary>
    private static Matrix<double> RawCross(AnchorStatistics statistics, Matrix<double> centredCross, Vector<double> meanNew, Vector<double> meanOld) =>
        centredCross + (statistics.Count * meanNew.OuterProduct(meanOld));
}

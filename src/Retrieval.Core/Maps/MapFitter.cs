using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>
/// Fits a <see cref="CompatibilityMap"/> from new→old anchor pairs (DESIGN §7). All closed-form work is in double precision;
/// the result is stored in float32. This class fits only; <see cref="MapPipeline"/> splits, fits and evaluates.
/// </summary>
public static class MapFitter
{
    /// <summary>Fits a map of <see cref="MapFitOptions.Kind"/> on all of <paramref name="anchors"/>.</summary>
    /// <exception cref="RetrievalException">
    /// InvalidArgument: fewer anchors than the new dimension (field <c>anchors</c>), an extend map with <c>d_n &lt; d_o</c>,
    /// a non-positive α or negative λ, or a missing/mismatched external map.
    /// </exception>
    public static CompatibilityMap Fit(AnchorSet anchors, MapFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(options);
        var normalize = options.TargetMetric == Metric.Cosine;
        if (options.Kind == MapKind.External)
        {
            return ValidateExternal(options.External, anchors.NewDimension, anchors.OldDimension).WithNormalizeOutput(normalize);
        }

        if (anchors.Count < anchors.NewDimension)
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), $"{anchors.Count} fit anchors are fewer than the new dimension {anchors.NewDimension}; a linear map is underdetermined");
        }

        var dn = anchors.NewDimension;
        var dOld = anchors.OldDimension;
        var xn = DoubleMatrix.FromRowMajor(anchors.New, anchors.Count, dn);
        var xo = DoubleMatrix.FromRowMajor(anchors.Old, anchors.Count, dOld);
        switch (options.Kind)
        {
            case MapKind.Orthogonal:
                return Linear(MapKind.Orthogonal, Procrustes.Solve(xn, xo), null, null, normalize);

            case MapKind.CanonicalQ:
            {
                var (mn, mo, xc, yc) = Centred(xn, xo);
                return Linear(MapKind.CanonicalQ, Procrustes.Solve(xc, yc), mn, mo, normalize);
            }

            case MapKind.Affine:
            {
                RequirePositiveAlpha(options.Alpha);
                var (mn, mo, xc, yc) = Centred(xn, xo);
                return Linear(MapKind.Affine, Ridge.Solve(xc, yc, options.Alpha), mn, mo, normalize);
            }

            case MapKind.LambdaOrthogonal:
            {
                if (!(options.Lambda >= 0) || double.IsPositiveInfinity(options.Lambda))
                {
                    throw RetrievalException.Invalid(FieldPath.Of("lambda"), "must be finite and ≥ 0");
                }

                var (mn, mo, xc, yc) = Centred(xn, xo);
                return Linear(MapKind.LambdaOrthogonal, LambdaOrthogonalSolver.Solve(xc, yc, options.Lambda, options.MaxIterations), mn, mo, normalize);
            }

            case MapKind.OrthogonalExtend:
                return FitExtend(xn, xo, normalize);

            case MapKind.ResidualMlp:
                return ResidualMlpTrainer.Train(anchors, options, normalize);

            case MapKind.RankingAdapter:
            {
                var (mn, mo, xc, yc) = Centred(xn, xo);
                return RankingAdapterTrainer.Train(anchors, Procrustes.Solve(xc, yc), mn, mo, options, normalize);
            }

            default:
                throw RetrievalException.Invalid(FieldPath.Of("kind"), $"{options.Kind} cannot be fitted");
        }
    }

    /// <summary>
    /// Checks a map trained elsewhere against the spaces it must connect: present, <c>d_in = d_n</c>, <c>d_out = d_o</c>
    /// (its shapes and finiteness were checked when it was constructed).
    /// </summary>
    public static CompatibilityMap ValidateExternal(CompatibilityMap? map, int newDimension, int oldDimension)
    {
        if (map is null)
        {
            throw RetrievalException.Invalid(FieldPath.Of("external"), "an external map needs its weight matrix");
        }

        if (map.InputDimension != newDimension || map.CompatiblePrefix != oldDimension)
        {
            throw RetrievalException.Invalid(FieldPath.Of("external").Member("weights"), $"matrix maps {map.InputDimension}→{map.CompatiblePrefix} but the spaces are {newDimension}→{oldDimension}");
        }

        return map;
    }

    /// <summary>
    /// Orthogonal extend: <c>Q ∈ O(d_n)</c> = Procrustes of <c>X_n</c> against <c>[X_o, 0]</c> (old vectors zero-padded to
    /// <c>d_n</c>). Since <c>‖X_nQ‖</c> is fixed, this maximizes <c>tr(P_oᵀX_o)</c>, the agreement of the first <c>d_o</c>
    /// output coordinates <c>P_o</c> with the old vectors. No centring: a shift would break the exact preservation of
    /// new-to-new inner products, <c>⟨xQ, x'Q⟩ = ⟨x, x'⟩</c>.
    /// </summary>
    private static CompatibilityMap FitExtend(Matrix<double> xn, Matrix<double> xo, bool normalize)
    {
        var dn = xn.ColumnCount;
        var dOld = xo.ColumnCount;
        if (dn < dOld)
        {
            throw RetrievalException.Invalid(FieldPath.Of("kind"), $"orthogonal extend needs the new dimension ({dn}) ≥ the old one ({dOld})");
        }

        var padded = Matrix<double>.Build.Dense(xo.RowCount, dn);
        padded.SetSubMatrix(0, 0, xo);
        var q = Procrustes.Solve(xn, padded);
        return new CompatibilityMap(MapKind.OrthogonalExtend, dn, dn, DoubleMatrix.ToRowMajorSingle(q), normalizeOutput: normalize, compatiblePrefix: dOld);
    }

    private static (Vector<double> MeanNew, Vector<double> MeanOld, Matrix<double> NewCentred, Matrix<double> OldCentred) Centred(Matrix<double> xn, Matrix<double> xo)
    {
        var mn = DoubleMatrix.ColumnMeans(xn);
        var mo = DoubleMatrix.ColumnMeans(xo);
        return (mn, mo, DoubleMatrix.Centre(xn, mn), DoubleMatrix.Centre(xo, mo));
    }

    /// <summary><c>x̂ = (x − μ_n)·W + μ_o</c> (or <c>x·W</c> without means).</summary>
    internal static CompatibilityMap Linear(MapKind kind, Matrix<double> w, Vector<double>? meanNew, Vector<double>? meanOld, bool normalize) =>
        new(
            kind,
            w.RowCount,
            w.ColumnCount,
            DoubleMatrix.ToRowMajorSingle(w),
            meanNew is null ? default : DoubleMatrix.ToSingle(meanNew),
            meanOld is null ? default : DoubleMatrix.ToSingle(meanOld),
            normalize);

    internal static void RequirePositiveAlpha(double alpha)
    {
        if (!(alpha > 0) || double.IsPositiveInfinity(alpha))
        {
            throw RetrievalException.Invalid(FieldPath.Of("alpha"), "must be finite and > 0 (a plain pseudo-inverse is never used)");
        }
    }
}

using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;

namespace Retrieval.Core.Maps;

/// <summary>A fitted two-sided pair: both maps end in the same joint space.</summary>
/// <param name="Query">New space → joint space.</param>
/// <param name="Gallery">Old space → joint space.</param>
/// <param name="CanonicalCorrelations">The canonical correlations of the fit anchors, largest first, one per joint dimension.</param>
public sealed record TwoSidedPair(CompatibilityMap Query, CompatibilityMap Gallery, IReadOnlyList<double> CanonicalCorrelations);

/// <summary>
/// Regularized canonical correlation analysis on anchor pairs. With centred anchors <c>X̃ₙ, X̃ₒ</c>, covariances
/// <c>Cₙₙ, Cₒₒ, Cₙₒ</c> and shrinkage <c>Sᵢ = Cᵢᵢ + ε·mean(eig Cᵢᵢ)·I</c>:
/// <c>Sₙ^-½ Cₙₒ Sₒ^-½ = U·diag(ρ)·Vᵀ</c>, and the pair is
/// <c>Pₙ = Sₙ^-½·U_k·diag(ρ)^½</c>, <c>Pₒ = Sₒ^-½·V_k·diag(ρ)^½</c>, applied as <c>(x − μ)·P</c>.
/// The inner product of two joint vectors is then <c>Σ ρᵢ·uᵢ·vᵢ</c> over the canonical variates: well-correlated
/// directions count most, poorly correlated ones little, which a one-sided orthogonal map cannot do (it keeps every
/// direction at full weight). Small ε is classical CCA (full whitening); large ε tends to the SVD of the cross-covariance
/// (partial least squares), which keeps each side's own geometry.
/// </summary>
public static class TwoSidedFitter
{
    /// <summary>Fits the pair on all of <paramref name="anchors"/>.</summary>
    /// <exception cref="RetrievalException">
    /// InvalidArgument: fewer anchors than either dimension (field <c>anchors</c>), anchors with no variance, a joint dimension
    /// outside <c>[1, min(d_n, d_o)]</c> (field <c>jointSpace</c>), or a regularization that is not finite and &gt; 0 (field
    /// <c>jointRegularization</c>).
    /// </exception>
    public static TwoSidedPair Fit(AnchorSet anchors, int jointDimension, double regularization, Metric jointMetric)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        int dn = anchors.NewDimension, dOld = anchors.OldDimension;
        if (jointDimension < 1 || jointDimension > Math.Min(dn, dOld))
        {
            throw RetrievalException.Invalid(FieldPath.Of("jointSpace"), string.Create(CultureInfo.InvariantCulture, $"the joint space has dimension {jointDimension}; a two-sided pair of {dn}- and {dOld}-dimensional spaces needs 1 to {Math.Min(dn, dOld)}"));
        }

        RequireRegularization(regularization);
        if (anchors.Count < Math.Max(dn, dOld))
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), string.Create(CultureInfo.InvariantCulture, $"{anchors.Count} fit anchors are fewer than the larger dimension {Math.Max(dn, dOld)}; the covariances are underdetermined"));
        }

        var xn = DoubleMatrix.FromRowMajor(anchors.New, anchors.Count, dn);
        var xo = DoubleMatrix.FromRowMajor(anchors.Old, anchors.Count, dOld);
        var meanNew = DoubleMatrix.ColumnMeans(xn);
        var meanOld = DoubleMatrix.ColumnMeans(xo);
        var xc = DoubleMatrix.Centre(xn, meanNew);
        var yc = DoubleMatrix.Centre(xo, meanOld);
        var n = (double)anchors.Count;
        var whitenNew = InverseSquareRoot(DoubleMatrix.TransposeThisAndMultiply(xc, xc) / n, regularization, "new");
        var whitenOld = InverseSquareRoot(DoubleMatrix.TransposeThisAndMultiply(yc, yc) / n, regularization, "old");
        var cross = DoubleMatrix.TransposeThisAndMultiply(xc, yc) / n;
        var svd = (whitenNew * cross * whitenOld).Svd(computeVectors: true);
        var correlations = new double[jointDimension];
        var weights = Matrix<double>.Build.Dense(jointDimension, jointDimension);
        for (var i = 0; i < jointDimension; i++)
        {
            correlations[i] = svd.S[i];
            weights[i, i] = Math.Sqrt(Math.Max(svd.S[i], 0));
        }

        var projectNew = whitenNew * svd.U.SubMatrix(0, dn, 0, jointDimension) * weights;
        var projectOld = whitenOld * svd.VT.SubMatrix(0, jointDimension, 0, dOld).Transpose() * weights;
        var normalize = jointMetric == Metric.Cosine;
        var query = new CompatibilityMap(MapKind.TwoSided, dn, jointDimension, DoubleMatrix.ToRowMajorSingle(projectNew), DoubleMatrix.ToSingle(meanNew), normalizeOutput: normalize);
        var gallery = new CompatibilityMap(MapKind.TwoSided, dOld, jointDimension, DoubleMatrix.ToRowMajorSingle(projectOld), DoubleMatrix.ToSingle(meanOld), normalizeOutput: normalize);
        return new TwoSidedPair(query, gallery, correlations);
    }

    /// <summary>A regularization must be finite and positive: ε = 0 would invert a rank-deficient covariance.</summary>
    public static void RequireRegularization(double regularization)
    {
        if (!(regularization > 0) || !double.IsFinite(regularization))
        {
            throw RetrievalException.Invalid(FieldPath.Of("jointRegularization"), "must be finite and > 0 (a multiple of the mean covariance eigenvalue)");
        }
    }

    /// <summary><c>(C + ε·mean(eig C)·I)^-½</c> of a symmetric covariance, through its eigendecomposition.</summary>
    private static Matrix<double> InverseSquareRoot(Matrix<double> covariance, double regularization, string side)
    {
        var evd = covariance.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Real();
        var mean = values.Sum() / values.Count;
        if (!(mean > 0))
        {
            throw RetrievalException.Invalid(FieldPath.Of("anchors"), $"the {side} vectors of the anchors have no variance; a two-sided pair needs distinct anchors");
        }

        var shift = regularization * mean;
        var scaled = evd.EigenVectors.Clone();
        for (var j = 0; j < values.Count; j++)
        {
            var factor = 1 / Math.Sqrt(Math.Max(values[j], 0) + shift);
            for (var i = 0; i < scaled.RowCount; i++)
            {
                scaled[i, j] *= factor;
            }
        }

        return scaled * evd.EigenVectors.Transpose();
    }
}

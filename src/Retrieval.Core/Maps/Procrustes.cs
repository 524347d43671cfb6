using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>Orthogonal Procrustes: the (semi-)orthogonal <c>W</c> maximizing <c>tr(Wᵀ·XᵀY)</c>.</summary>
internal static class Procrustes
{
    /// <summary>
    /// <c>argmin ‖XW − Y‖_F</c> over <c>W</c> with orthonormal columns (or rows): with <c>M = XᵀY = UΣVᵀ</c>,
    /// <c>W = U_k V_kᵀ</c> for <c>k = min(d_x, d_y)</c> — the thin SVD, equivalent to zero-padding the smaller side.
    /// </summary>
    public static Matrix<double> Solve(Matrix<double> x, Matrix<double> y) => FromCrossCovariance(DoubleMatrix.TransposeThisAndMultiply(x, y));

    /// <summary>The polar factor <c>U_k V_kᵀ</c> of <c>M</c>.</summary>
    public static Matrix<double> FromCrossCovariance(Matrix<double> m)
    {
        var k = Math.Min(m.RowCount, m.ColumnCount);
        var svd = m.Svd(computeVectors: true);
        var u = svd.U.SubMatrix(0, m.RowCount, 0, k);
        var vt = svd.VT.SubMatrix(0, k, 0, m.ColumnCount);
        return u * vt;
    }
}

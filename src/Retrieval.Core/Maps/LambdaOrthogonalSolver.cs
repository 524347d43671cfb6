using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>
/// λ-orthogonal regression on centred anchors: minimize
/// <c>f(W) = ‖X̃W − Ỹ‖²_F / ‖Ỹ‖²_F + λ · ‖E‖²_F / k</c>, with <c>E = WᵀW − I</c> when <c>d_x ≥ d_y</c> (orthonormal columns)
/// and <c>E = WWᵀ − I</c> otherwise (orthonormal rows), <c>k = min(d_x, d_y)</c>.
/// Dividing the data term by <c>‖Ỹ‖²</c> makes it a relative residual and dividing the penalty by <c>k</c> makes it a
/// per-dimension deviation, so λ means the same for any vector scale, anchor count or dimension.
/// λ = 0 gives ordinary least squares; λ → ∞ forces <c>E = 0</c> and leaves the Procrustes solution.
/// </summary>
/// <remarks>
/// The solver works in the eigenbasis of the Gram matrix <c>G = X̃ᵀX̃ = UΛUᵀ</c> with <c>W = UV</c>. There the data term
/// is <c>Σᵢ Λᵢ‖Vᵢ‖² − 2⟨V, UᵀC⟩ + ‖Ỹ‖²</c> (diagonal curvature, no product with G), while the penalty keeps its form
/// because <c>WᵀW = VᵀV</c> and <c>‖WWᵀ − I‖ = ‖VVᵀ − I‖</c> for orthogonal U. The diagonal curvature is the L-BFGS
/// preconditioner: embedding Gram matrices have eigenvalues spread over several decades, which without it cost thousands
/// of iterations (minutes at d = 384). Each evaluation is two d-sized matrix products.
/// </remarks>
internal static class LambdaOrthogonalSolver
{
    public static Matrix<double> Solve(Matrix<double> xCentred, Matrix<double> yCentred, double lambda, int maxIterations)
    {
        var n = xCentred.RowCount;
        var dx = xCentred.ColumnCount;
        var dy = yCentred.ColumnCount;

        // MathNet stores column-major, which is the row-major layout of the transpose: X̃ᵀ (d_x × n) row-major.
        var xTransposed = xCentred.ToColumnMajorArray();
        var gram = new double[dx * dx];
        RowMajorGemm.Multiply(xTransposed, xCentred.ToRowMajorArray(), gram, dx, n, dx);
        var cross = new double[dx * dy];
        RowMajorGemm.Multiply(xTransposed, yCentred.ToRowMajorArray(), cross, dx, n, dy);
        var yy = DoubleMatrix.FrobeniusNorm(yCentred);
        return SolveFromMoments(gram, cross, yy * yy, dx, dy, lambda, maxIterations);
    }

    /// <summary>
    /// The same solution from the centred moments alone: <paramref name="gram"/> <c>= X̃ᵀX̃</c> (d_x × d_x),
    /// <paramref name="cross"/> <c>= X̃ᵀỸ</c> (d_x × d_y), both row-major, and <paramref name="yy"/> <c>= ‖Ỹ‖²_F</c>. The
    /// objective needs nothing else, which is what lets a migration refit this kind from streamed statistics.
    /// </summary>
    public static Matrix<double> SolveFromMoments(double[] gram, double[] cross, double yy, int dx, int dy, double lambda, int maxIterations)
    {
        var k = Math.Min(dx, dy);
        var columnsOrthonormal = dx >= dy;
        var dataScale = 1 / Math.Max(yy, double.Epsilon);
        var penaltyScale = lambda / k;

        var evd = Matrix<double>.Build.DenseOfRowMajor(dx, dx, gram).Evd(Symmetricity.Symmetric);
        var eigenvalues = evd.EigenValues.Real().Select(v => Math.Max(v, 0)).ToArray();
        var basis = evd.EigenVectors;
        var basisTransposed = basis.ToColumnMajorArray();

        // B = UᵀC: the cross term in the rotated coordinates.
        var rotatedCross = new double[dx * dy];
        RowMajorGemm.Multiply(basisTransposed, cross, rotatedCross, dx, dx, dy);

        var errorSize = columnsOrthonormal ? dy : dx;
        var error = new double[errorSize * errorSize];
        var transposed = new double[dx * dy];
        var penaltyGradient = new double[dx * dy];

        double Objective(double[] v, double[] gradient)
        {
            var value = yy;
            for (var i = 0; i < dx; i++)
            {
                var rowV = v.AsSpan(i * dy, dy);
                var rowB = rotatedCross.AsSpan(i * dy, dy);
                var rowG = gradient.AsSpan(i * dy, dy);
                var lambdaI = eigenvalues[i];
                for (var j = 0; j < dy; j++)
                {
                    value += (lambdaI * rowV[j] * rowV[j]) - (2 * rowV[j] * rowB[j]);
                    rowG[j] = 2 * dataScale * ((lambdaI * rowV[j]) - rowB[j]);
                }
            }

            value *= dataScale;
            if (penaltyScale > 0)
            {
                Transpose(v, transposed, dx, dy);
                // E = VᵀV − I (d_y × d_y) or VVᵀ − I (d_x × d_x); gradient 4·V·E or 4·E·V.
                if (columnsOrthonormal)
                {
                    RowMajorGemm.Multiply(transposed, v, error, dy, dx, dy);
                }
                else
                {
                    RowMajorGemm.Multiply(v, transposed, error, dx, dy, dx);
                }

                for (var i = 0; i < errorSize; i++)
                {
                    error[(i * errorSize) + i] -= 1;
                }

                var norm = System.Numerics.Tensors.TensorPrimitives.Dot<double>(error, error);
                value += penaltyScale * norm;
                if (columnsOrthonormal)
                {
                    RowMajorGemm.Multiply(v, error, penaltyGradient, dx, dy, dy);
                }
                else
                {
                    RowMajorGemm.Multiply(error, v, penaltyGradient, dx, dx, dy);
                }

                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(penaltyGradient, 4 * penaltyScale, gradient, gradient);
            }

            return value;
        }

        // Inverse of the diagonal curvature: 2Λᵢ/‖Ỹ‖² from the data term plus 4λ/k, the mean curvature of the penalty
        // near an orthogonal W (8λ/k along symmetric directions, 0 along skew ones). Floored so that null directions of
        // G with λ = 0 stay finite.
        var curvatureFloor = 1e-12 * ((2 * dataScale * eigenvalues.Average()) + (4 * penaltyScale));
        var preconditioner = new double[dx * dy];
        for (var i = 0; i < dx; i++)
        {
            var inverse = 1 / Math.Max((2 * dataScale * eigenvalues[i]) + (4 * penaltyScale), curvatureFloor);
            preconditioner.AsSpan(i * dy, dy).Fill(inverse);
        }

        var procrustes = Procrustes.FromCrossCovariance(Matrix<double>.Build.DenseOfRowMajor(dx, dy, cross)).ToRowMajorArray();
        var start = new double[dx * dy];
        RowMajorGemm.Multiply(basisTransposed, procrustes, start, dx, dx, dy);
        var (solution, _) = Lbfgs.Minimize(Objective, start, maxIterations, preconditioner: preconditioner);

        var w = new double[dx * dy];
        RowMajorGemm.Multiply(basis.ToRowMajorArray(), solution, w, dx, dx, dy);
        return Matrix<double>.Build.DenseOfRowMajor(dx, dy, w);
    }

    private static void Transpose(double[] source, double[] destination, int rows, int columns)
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                destination[(j * rows) + i] = source[(i * columns) + j];
            }
        }
    }
}

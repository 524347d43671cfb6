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
internal static class LambdaOrthogonalSolver
{
    public static Matrix<double> Solve(Matrix<double> xCentred, Matrix<double> yCentred, double lambda, int maxIterations)
    {
        var dx = xCentred.ColumnCount;
        var dy = yCentred.ColumnCount;
        var k = Math.Min(dx, dy);
        var columnsOrthonormal = dx >= dy;

        // The data term needs only G = X̃ᵀX̃, C = X̃ᵀỸ and ‖Ỹ‖², so each evaluation costs O(d³), not O(n·d²):
        // ‖X̃W − Ỹ‖² = ⟨W, GW⟩ − 2⟨W, C⟩ + ‖Ỹ‖², gradient 2(GW − C).
        var gram = xCentred.TransposeThisAndMultiply(xCentred);
        var cross = xCentred.TransposeThisAndMultiply(yCentred);
        var yy = yCentred.FrobeniusNorm();
        yy *= yy;
        var dataScale = 1 / Math.Max(yy, double.Epsilon);
        var penaltyScale = lambda / k;
        var identity = Matrix<double>.Build.DenseIdentity(k);

        double Objective(double[] w, double[] gradient)
        {
            // Both arrays are column-major d_x × d_y storage wrapped without copying.
            var wm = Matrix<double>.Build.Dense(dx, dy, w);
            var gm = Matrix<double>.Build.Dense(dx, dy, gradient);
            var gw = gram * wm;
            var residualTerm = Frobenius(wm, gw) - (2 * Frobenius(wm, cross)) + yy;
            gw.Subtract(cross, gm);
            gm.Multiply(2 * dataScale, gm);
            var value = residualTerm * dataScale;
            if (penaltyScale > 0)
            {
                // d‖WᵀW − I‖² = 4·W(WᵀW − I); d‖WWᵀ − I‖² = 4·(WWᵀ − I)W.
                var e = (columnsOrthonormal ? wm.TransposeThisAndMultiply(wm) : wm.TransposeAndMultiply(wm)) - identity;
                var norm = e.FrobeniusNorm();
                value += penaltyScale * norm * norm;
                var penaltyGradient = columnsOrthonormal ? wm * e : e * wm;
                gm.Add(penaltyGradient.Multiply(4 * penaltyScale), gm);
            }

            return value;
        }

        var start = Procrustes.FromCrossCovariance(cross).ToColumnMajorArray();
        var (solution, _) = Lbfgs.Minimize(Objective, start, maxIterations);
        return Matrix<double>.Build.Dense(dx, dy, solution);
    }

    private static double Frobenius(Matrix<double> a, Matrix<double> b)
    {
        var sa = a.AsColumnMajorArray() ?? a.ToColumnMajorArray();
        var sb = b.AsColumnMajorArray() ?? b.ToColumnMajorArray();
        return System.Numerics.Tensors.TensorPrimitives.Dot<double>(sa, sb);
    }
}

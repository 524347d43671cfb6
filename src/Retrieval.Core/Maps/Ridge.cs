using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>Ridge least squares on centred data.</summary>
internal static class Ridge
{
    /// <summary>
    /// <c>W = (X̃ᵀX̃ + αI)⁻¹ X̃ᵀỸ</c> by Cholesky (symmetric positive definite: callers keep α &gt; 0), with
    /// <c>α = relativeAlpha · trace(X̃ᵀX̃)/d</c>. Never a plain pseudo-inverse: with n ≈ d the small singular values of
    /// X̃ blow up the solution; the penalty bounds the gain of every direction by <c>σ/(σ² + α)</c>.
    /// </summary>
    public static Matrix<double> Solve(Matrix<double> xCentred, Matrix<double> yCentred, double relativeAlpha)
    {
        var gram = DoubleMatrix.TransposeThisAndMultiply(xCentred, xCentred);
        return SolveFromMoments(gram, DoubleMatrix.TransposeThisAndMultiply(xCentred, yCentred), relativeAlpha);
    }

    /// <summary>The same from the centred moments <c>X̃ᵀX̃</c> (overwritten: the penalty is added to its diagonal) and <c>X̃ᵀỸ</c>.</summary>
    public static Matrix<double> SolveFromMoments(Matrix<double> gram, Matrix<double> cross, double relativeAlpha)
    {
        var alpha = AbsoluteAlpha(gram, relativeAlpha);
        for (var i = 0; i < gram.RowCount; i++)
        {
            gram[i, i] += alpha;
        }

        return gram.Cholesky().Solve(cross);
    }

    /// <summary><c>relativeAlpha · trace(G)/d</c>: the penalty in units of the Gram matrix's mean eigenvalue.</summary>
    public static double AbsoluteAlpha(Matrix<double> gram, double relativeAlpha) => relativeAlpha * gram.Trace() / gram.RowCount;
}

using System.Numerics.Tensors;

namespace Retrieval.Core.Maps;

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Alg. 7.4/7.5) with a backtracking Armijo line search. Deterministic;
/// small enough to read, and unlike MathNet's minimizers it stops quietly at the iteration cap.
/// </summary>
internal static class Lbfgs
{
    /// <summary>Minimizes <paramref name="objective"/> (value returned, gradient written into its second argument) from <paramref name="start"/>.</summary>
    /// <param name="objective">The function; writes its gradient into the second array.</param>
    /// <param name="start">The starting point.</param>
    /// <param name="maxIterations">Iteration cap; the best point so far is returned when it is reached.</param>
    /// <param name="memory">Number of curvature pairs kept.</param>
    /// <param name="preconditioner">
    /// Optional positive diagonal estimate of the inverse Hessian, used as the initial matrix of the two-loop recursion
    /// (scaled each iteration by <c>sᵀy / yᵀDy</c>). On badly conditioned problems this cuts the iteration count by
    /// orders of magnitude.
    /// </param>
    /// <returns>The minimizer and the number of iterations used.</returns>
    public static (double[] X, int Iterations) Minimize(
        Func<double[], double[], double> objective, double[] start, int maxIterations, int memory = 10, double[]? preconditioner = null)
    {
        if (preconditioner is not null && preconditioner.Length != start.Length)
        {
            throw new ArgumentException("the preconditioner must have one entry per variable", nameof(preconditioner));
        }

        var n = start.Length;
        var x = (double[])start.Clone();
        var g = new double[n];
        var f = objective(x, g);
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var direction = new double[n];
        var trial = new double[n];
        var trialGradient = new double[n];
        var alphas = new double[memory];
        var initialGradientNorm = TensorPrimitives.Norm<double>(g);

        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var gradientNorm = TensorPrimitives.Norm<double>(g);
            if (gradientNorm <= 1e-10 * Math.Max(1, initialGradientNorm) || gradientNorm == 0)
            {
                return (x, iteration);
            }

            // Two-loop recursion: direction = −H·g with H the implicit inverse-Hessian estimate.
            g.CopyTo(direction, 0);
            for (var i = s.Count - 1; i >= 0; i--)
            {
                alphas[i] = rho[i] * TensorPrimitives.Dot<double>(s[i], direction);
                TensorPrimitives.MultiplyAdd<double>(y[i], -alphas[i], direction, direction);
            }

            if (preconditioner is null)
            {
                var gamma = s.Count > 0
                    ? TensorPrimitives.Dot<double>(s[^1], y[^1]) / TensorPrimitives.Dot<double>(y[^1], y[^1])
                    : 1 / gradientNorm;
                TensorPrimitives.Multiply<double>(direction, gamma, direction);
            }
            else
            {
                // H₀ = γ·D with γ = sᵀy / yᵀDy, the diagonal generalization of the scaling above.
                var gamma = 1.0;
                if (s.Count > 0)
                {
                    TensorPrimitives.Multiply<double>(y[^1], preconditioner, trial);
                    gamma = TensorPrimitives.Dot<double>(s[^1], y[^1]) / TensorPrimitives.Dot<double>(y[^1], trial);
                }

                TensorPrimitives.Multiply<double>(direction, preconditioner, direction);
                TensorPrimitives.Multiply<double>(direction, gamma, direction);
            }
            for (var i = 0; i < s.Count; i++)
            {
                var beta = rho[i] * TensorPrimitives.Dot<double>(y[i], direction);
                TensorPrimitives.MultiplyAdd<double>(s[i], alphas[i] - beta, direction, direction);
            }

            TensorPrimitives.Negate<double>(direction, direction);
            var slope = TensorPrimitives.Dot<double>(g, direction);
            if (slope >= 0)
            {
                // Not a descent direction (curvature information went stale): restart from steepest descent.
                s.Clear();
                y.Clear();
                rho.Clear();
                TensorPrimitives.Multiply<double>(g, -1 / gradientNorm, direction);
                slope = TensorPrimitives.Dot<double>(g, direction);
            }

            // Backtracking until the Armijo condition f(x + t·p) ≤ f + 1e-4·t·gᵀp holds.
            var step = 1.0;
            double trialValue = double.NaN;
            var accepted = false;
            for (var k = 0; k < 50; k++)
            {
                TensorPrimitives.MultiplyAdd<double>(direction, step, x, trial);
                trialValue = objective(trial, trialGradient);
                if (double.IsFinite(trialValue) && trialValue <= f + (1e-4 * step * slope))
                {
                    accepted = true;
                    break;
                }

                step *= 0.5;
            }

            if (!accepted)
            {
                return (x, iteration);
            }

            var sk = new double[n];
            var yk = new double[n];
            TensorPrimitives.Subtract<double>(trial, x, sk);
            TensorPrimitives.Subtract<double>(trialGradient, g, yk);
            var sy = TensorPrimitives.Dot<double>(sk, yk);
            var previous = f;
            (x, trial) = (trial, x);
            (g, trialGradient) = (trialGradient, g);
            f = trialValue;

            // Keep the pair only with positive curvature, which keeps H positive definite.
            if (sy > 1e-16 * TensorPrimitives.Dot<double>(yk, yk))
            {
                if (s.Count == memory)
                {
                    s.RemoveAt(0);
                    y.RemoveAt(0);
                    rho.RemoveAt(0);
                }

                s.Add(sk);
                y.Add(yk);
                rho.Add(1 / sy);
            }

            if (previous - f <= 1e-15 * Math.Max(1, Math.Abs(f)))
            {
                return (x, iteration + 1);
            }
        }

        return (x, maxIterations);
    }
}

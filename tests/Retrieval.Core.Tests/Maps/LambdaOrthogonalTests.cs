using MathNet.Numerics.LinearAlgebra;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Maps;

public class LambdaOrthogonalTests
{
    private const int D = 12;

    private static AnchorSet NonIsometricPairs()
    {
        // T = 1.5·R + 0.4·G: far from orthogonal, so least squares and Procrustes disagree clearly.
        var rng = Synthetic.Rng(11);
        var t = (Synthetic.Orthogonal(rng, D) * 1.5) + (Synthetic.Orthogonal(rng, D) * 0.4);
        return Synthetic.Pairs(rng, 500, t, Synthetic.Gaussian(rng, D, 0.3), noise: 0.05);
    }

    [Fact]
    public void Fit_LambdaZero_EqualsLeastSquares()
    {
        var anchors = NonIsometricPairs();

        var lambda = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 0 });
        var ridge = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Affine, Alpha = 1e-12 });

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(lambda), Synthetic.Weights(ridge)) < 1e-4);
        Assert.Equal(ridge.Bias.ToArray(), lambda.Bias.ToArray());
    }

    [Fact]
    public void Fit_LargeLambda_ApproachesProcrustes()
    {
        var anchors = NonIsometricPairs();
        var procrustes = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ }));

        var errors = new[] { 0.01, 1, 1e4 }.Select(l =>
        {
            var map = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = l });
            return (Distance: Synthetic.RelativeError(Synthetic.Weights(map), procrustes), Orthogonality: MapEvaluator.OrthogonalityError(map));
        }).ToArray();

        // Monotone in λ, and at λ = 1e4 within 1e-2 of the Procrustes solution.
        Assert.True(errors[0].Orthogonality > errors[1].Orthogonality && errors[1].Orthogonality > errors[2].Orthogonality);
        Assert.True(errors[0].Distance > errors[2].Distance);
        Assert.True(errors[2].Distance < 1e-2, $"distance to Procrustes {errors[2].Distance}");
    }

    [Theory]
    [InlineData(12, 7)]
    [InlineData(7, 12)]
    public void Fit_RectangularMaps_SpanLeastSquaresToProcrustes(int newDimension, int oldDimension)
    {
        // Both penalty forms: orthonormal columns (d_n ≥ d_o) and orthonormal rows (d_n < d_o). Isotropic new vectors,
        // because with orthonormal columns the constrained optimum is the polar factor only when X̃ᵀX̃ ∝ I.
        var rng = Synthetic.Rng(5);
        var t = Matrix<double>.Build.Dense(newDimension, oldDimension, (_, _) => rng.NextDouble() - 0.5);
        var anchors = Synthetic.Pairs(rng, 400, t, noise: 0.05, isotropic: true);
        var ridge = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Affine, Alpha = 1e-12 }));
        var procrustes = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ }));

        var leastSquares = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 0 });
        var nearOrthogonal = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 1e5 });

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(leastSquares), ridge) < 1e-4);
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(nearOrthogonal), procrustes) < 1e-2);
        Assert.True(MapEvaluator.OrthogonalityError(nearOrthogonal) < 1e-2);
    }

    [Theory]
    [InlineData(12, 12)]
    [InlineData(12, 7)]
    [InlineData(7, 12)]
    public void Fit_IntermediateLambda_IsALocalMinimumOfTheDocumentedObjective(int newDimension, int oldDimension)
    {
        // The objective written out here from MapFitOptions.Lambda's documentation, not taken from the solver:
        // ‖X̃W − Ỹ‖²/‖Ỹ‖² + λ·‖E‖²/min(d_n, d_o), E = WᵀW − I (d_n ≥ d_o) or WWᵀ − I. Every nearby W must score higher.
        const double lambda = 0.5;
        var rng = Synthetic.Rng(21);
        var t = Matrix<double>.Build.Dense(newDimension, oldDimension, (_, _) => rng.NextDouble() - 0.5);
        var anchors = Synthetic.Pairs(rng, 300, t, Synthetic.Gaussian(rng, oldDimension, 0.3), noise: 0.1);
        var xc = Centred(anchors.New.ToArray(), newDimension);
        var yc = Centred(anchors.Old.ToArray(), oldDimension);
        double Objective(Matrix<double> w)
        {
            var residual = (xc * w) - yc;
            var gram = newDimension >= oldDimension ? w.TransposeThisAndMultiply(w) : w.TransposeAndMultiply(w);
            var error = gram - Matrix<double>.Build.DenseIdentity(gram.RowCount);
            return (Squared(residual) / Squared(yc)) + (lambda * Squared(error) / Math.Min(newDimension, oldDimension));
        }

        var fitted = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = lambda }));
        var atFit = Objective(fitted);

        for (var trial = 0; trial < 20; trial++)
        {
            var direction = Matrix<double>.Build.Dense(newDimension, oldDimension, (_, _) => rng.NextDouble() - 0.5);
            direction *= 1e-3 * fitted.FrobeniusNorm() / direction.FrobeniusNorm();
            Assert.True(Objective(fitted + direction) > atFit, $"f(W + D) ≤ f(W) in trial {trial}");
            Assert.True(Objective(fitted - direction) > atFit, $"f(W − D) ≤ f(W) in trial {trial}");
        }
    }

    private static Matrix<double> Centred(float[] rows, int d)
    {
        var m = Matrix<double>.Build.Dense(rows.Length / d, d, (i, j) => rows[(i * d) + j]);
        var means = m.ColumnSums() / m.RowCount;
        return m - Matrix<double>.Build.Dense(m.RowCount, d, (_, j) => means[j]);
    }

    private static double Squared(Matrix<double> m) => m.Enumerate().Sum(v => v * v);

    [Fact]
    public void Fit_NegativeLambda_IsRejected()
    {
        var ex = Assert.Throws<Core.Errors.RetrievalException>(() =>
            MapFitter.Fit(NonIsometricPairs(), new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = -1 }));
        Assert.Equal(FieldPath.Of("lambda"), ex.Path);
    }
}

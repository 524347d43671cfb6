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
        var t = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(newDimension, oldDimension, (_, _) => rng.NextDouble() - 0.5);
        var anchors = Synthetic.Pairs(rng, 400, t, noise: 0.05, isotropic: true);
        var ridge = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.Affine, Alpha = 1e-12 }));
        var procrustes = Synthetic.Weights(MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.CanonicalQ }));

        var leastSquares = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 0 });
        var nearOrthogonal = MapFitter.Fit(anchors, new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = 1e5 });

        Assert.True(Synthetic.RelativeError(Synthetic.Weights(leastSquares), ridge) < 1e-4);
        Assert.True(Synthetic.RelativeError(Synthetic.Weights(nearOrthogonal), procrustes) < 1e-2);
        Assert.True(MapEvaluator.OrthogonalityError(nearOrthogonal) < 1e-2);
    }

    [Fact]
    public void Fit_NegativeLambda_IsRejected()
    {
        var ex = Assert.Throws<Core.Errors.RetrievalException>(() =>
            MapFitter.Fit(NonIsometricPairs(), new MapFitOptions { Kind = MapKind.LambdaOrthogonal, Lambda = -1 }));
        Assert.Equal("lambda", ex.Field);
    }
}

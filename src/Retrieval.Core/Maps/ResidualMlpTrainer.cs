using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>
/// Trains <c>x̂ = μ_o + z·W + ReLU(z·A + a)·B + c</c>, <c>z = x − μ_n</c> (Drift-Adapter style), on standardized data:
/// <c>z' = z/s_in</c>, <c>t' = (y − μ_o)/s_out</c> with <c>s = √mean‖·‖²</c>, so defaults hold for any vector scale.
/// W starts at the centred Procrustes solution (canonical-Q, with its least-squares gain) and B at zero, so training
/// starts exactly at that map; Procrustes rather than ridge because an orthogonal start generalizes better from few
/// anchors per dimension (ridge overfits at n ≈ 5·d). Minibatch AdamW on the
/// mean squared error, early stopping on a seeded validation share of the fit anchors, the best epoch kept (possibly the
/// start). The scales are folded back so that the result is an ordinary <see cref="CompatibilityMap"/> with a residual.
/// </summary>
internal static partial class ResidualMlpTrainer
{
    public static CompatibilityMap Train(AnchorSet anchors, MapFitOptions options, bool normalizeOutput)
    {
        var mlp = options.Mlp;
        var watch = Stopwatch.StartNew();
        var split = anchors.Split(mlp.ValidationFraction, options.Seed ^ 0x5EED);
        var train = split.Fit;
        var validation = split.HeldOut.Count > 0 ? split.HeldOut : split.Fit;
        var dIn = anchors.NewDimension;
        var dOut = anchors.OldDimension;
        var hidden = mlp.Hidden > 0 ? mlp.Hidden : dOut;

        var xn = DoubleMatrix.FromRowMajor(train.New, train.Count, dIn);
        var xo = DoubleMatrix.FromRowMajor(train.Old, train.Count, dOut);
        var meanIn = DoubleMatrix.ColumnMeans(xn);
        var meanOut = DoubleMatrix.ColumnMeans(xo);
        var zc = DoubleMatrix.Centre(xn, meanIn);
        var tc = DoubleMatrix.Centre(xo, meanOut);
        var scaleIn = RmsRowNorm(zc);
        var scaleOut = RmsRowNorm(tc);
        zc /= scaleIn;
        tc /= scaleOut;

        var trainData = new Standardized(zc, tc);
        var validationData = new Standardized(
            DoubleMatrix.Centre(DoubleMatrix.FromRowMajor(validation.New, validation.Count, dIn), meanIn) / scaleIn,
            DoubleMatrix.Centre(DoubleMatrix.FromRowMajor(validation.Old, validation.Count, dOut), meanOut) / scaleOut);

        var random = new Random(options.Seed);
        var net = new Network(
            dIn,
            hidden,
            dOut,
            DoubleMatrix.ToRowMajorSingle(ScaledProcrustes(zc, tc)),
            GaussianRowMajor(random, dIn * hidden));

        var best = net.Snapshot();
        var bestLoss = net.MeanSquaredError(validationData);
        var sinceBest = 0;
        var order = Enumerable.Range(0, trainData.Count).ToArray();
        var step = 0;
        for (var epoch = 0; epoch < mlp.MaxEpochs && sinceBest < mlp.Patience && watch.Elapsed.TotalSeconds < mlp.MaxSeconds; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += mlp.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(mlp.BatchSize, order.Length - start));
                net.AccumulateGradients(trainData, batch);
                net.Step(++step, (float)mlp.LearningRate, (float)mlp.WeightDecay);
            }

            var loss = net.MeanSquaredError(validationData);
            if (loss < bestLoss)
            {
                bestLoss = loss;
                best = net.Snapshot();
                sinceBest = 0;
            }
            else
            {
                sinceBest++;
            }
        }

        return best.Fold(dIn, hidden, dOut, meanIn, meanOut, scaleIn, scaleOut, normalizeOutput);
    }

    /// <summary>
    /// <c>g·Q</c>: the centred Procrustes rotation <c>Q</c> with its least-squares gain <c>g = ⟨X̃Q, Ỹ⟩/‖X̃Q‖²</c>
    /// (standardization can leave the two sides at different scales).
    /// </summary>
    private static Matrix<double> ScaledProcrustes(Matrix<double> z, Matrix<double> t)
    {
        var q = Procrustes.Solve(z, t);
        var zq = z * q;
        var den = DoubleMatrix.FrobeniusNorm(zq);
        den *= den;
        return den > 0 ? q * (zq.PointwiseMultiply(t).ColumnSums().Sum() / den) : q;
    }

    private static double RmsRowNorm(Matrix<double> m)
    {
        var f = DoubleMatrix.FrobeniusNorm(m);
        var rms = f / Math.Sqrt(m.RowCount);
        return rms > 0 ? rms : 1;
    }

    /// <summary>N(0, 1) entries by Box–Muller: with ‖z'‖ ≈ 1, pre-activations z'·A[:,j] start with unit variance.</summary>
    private static float[] GaussianRowMajor(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return values;
    }

    /// <summary>Standardized rows, row-major float32.</summary>
    private sealed class Standardized(Matrix<double> z, Matrix<double> t)
    {
        public float[] Z { get; } = DoubleMatrix.ToRowMajorSingle(z);

        public float[] T { get; } = DoubleMatrix.ToRowMajorSingle(t);

        public int Count { get; } = z.RowCount;
    }
}

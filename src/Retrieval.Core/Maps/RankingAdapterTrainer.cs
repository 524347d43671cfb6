using System.Diagnostics;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>
/// Fits <see cref="MapKind.RankingAdapter"/>: <c>x̂ = μ_o + z·Q + α·(z'·U)·V + β·c</c> with <c>z = x − μ_n</c>,
/// <c>z' = z/s_in</c>, <c>Q</c> the canonical-Q rotation of all fit anchors (frozen) and a trainable rank-<c>r</c> residual.
/// The loss is what retrieval is judged on: InfoNCE of the mapped anchor's direction against its own old vector, versus
/// the other old vectors of the mini-batch and hard negatives mined (every few epochs) as the old vectors of other anchors
/// scoring highest against the current mapped vector. <c>V</c> and <c>c</c> start at zero, so step 0 is exactly canonical-Q;
/// the epoch with the lowest loss on a seeded validation share (scored against all fit anchors' old vectors) is kept,
/// possibly step 0. The scales <c>α = s_out/√(r·d_o)</c> and <c>β = s_out/√d_o</c> make one Adam step a relative change
/// of the output, whatever the vectors' scale. The result folds into an ordinary linear map (<c>W = Q + α·U·V/s_in</c>),
/// so serving it costs exactly what canonical-Q costs.
/// </summary>
internal static class RankingAdapterTrainer
{
    public static CompatibilityMap Train(AnchorSet anchors, Matrix<double> rotation, Vector<double> meanIn, Vector<double> meanOut, MapFitOptions options, bool normalizeOutput)
    {
        var settings = options.Adapter;
        var watch = Stopwatch.StartNew();
        var dIn = anchors.NewDimension;
        var dOut = anchors.OldDimension;
        var rank = settings.Rank > 0 ? settings.Rank : Math.Max(8, Math.Min(dIn, dOut) / 8);
        var split = anchors.Split(settings.ValidationFraction, options.Seed ^ 0x0ADA97);
        var train = split.Fit;
        var validation = split.HeldOut.Count > 0 ? split.HeldOut : split.Fit;

        var centredIn = DoubleMatrix.Centre(DoubleMatrix.FromRowMajor(anchors.New, anchors.Count, dIn), meanIn);
        var centredOut = DoubleMatrix.Centre(DoubleMatrix.FromRowMajor(anchors.Old, anchors.Count, dOut), meanOut);
        var scaleIn = RmsRowNorm(centredIn);
        var scaleOut = RmsRowNorm(centredOut);
        var model = new Model(
            dIn,
            dOut,
            rank,
            DoubleMatrix.ToRowMajorSingle(rotation * scaleIn),
            DoubleMatrix.ToSingle(meanOut),
            (float)(scaleOut / Math.Sqrt(rank * (double)dOut)),
            (float)(scaleOut / Math.Sqrt(dOut)),
            GaussianRowMajor(new Random(options.Seed), dIn * rank));

        var trainSet = Standardize(train, meanIn, scaleIn);
        var validationSet = Standardize(validation, meanIn, scaleIn);

        // Validation rows are ranked among the old vectors of every fit anchor; a validation row's own old vector sits at
        // offset train.Count + i of the pool.
        var pool = new float[(train.Count + validation.Count) * dOut];
        train.Old.CopyTo(pool);
        validation.Old.CopyTo(pool.AsSpan(train.Count * dOut));
        var rmsOld = MathF.Sqrt(TensorPrimitives.SumOfSquares(pool) / (pool.Length / dOut));
        var sharpness = (float)(1 / (settings.Temperature * Math.Max(rmsOld, float.Epsilon)));
        var trainOld = train.Old.ToArray();

        var (bestLoss, recall) = model.ValidationLoss(validationSet, pool, train.Count, sharpness);
        var best = model.Snapshot();
        var bestEpoch = 0;
        options.Progress?.Report(new MapFitProgress(MapKind.RankingAdapter, 0, settings.MaxEpochs, bestLoss, recall, 0, watch.Elapsed));

        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var hardNegatives = Math.Min(settings.HardNegatives, Math.Max(0, train.Count - 1));
        var negatives = new int[train.Count * hardNegatives];
        var step = 0;
        var sinceBest = 0;
        var budget = TimeSpan.FromSeconds(settings.MaxSeconds);
        for (var epoch = 1; epoch <= settings.MaxEpochs && sinceBest < settings.Patience && watch.Elapsed < budget; epoch++)
        {
            if (hardNegatives > 0 && (epoch - 1) % Math.Max(1, settings.MineEvery) == 0)
            {
                model.MineHardNegatives(trainSet, trainOld, hardNegatives, negatives);
            }

            random.Shuffle(order);
            for (var start = 0; start < order.Length && watch.Elapsed < budget; start += settings.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(settings.BatchSize, order.Length - start));
                model.AccumulateGradients(trainSet, trainOld, batch, negatives, hardNegatives, sharpness);
                model.Step(++step, (float)settings.LearningRate, (float)settings.WeightDecay);
            }

            (var loss, recall) = model.ValidationLoss(validationSet, pool, train.Count, sharpness);
            if (loss < bestLoss)
            {
                bestLoss = loss;
                best = model.Snapshot();
                bestEpoch = epoch;
                sinceBest = 0;
            }
            else
            {
                sinceBest++;
            }

            options.Progress?.Report(new MapFitProgress(MapKind.RankingAdapter, epoch, settings.MaxEpochs, loss, recall, bestEpoch, watch.Elapsed));
        }

        return model.Fold(best, rotation, meanIn, scaleIn, normalizeOutput);
    }

    private static float[] Standardize(AnchorSet set, Vector<double> meanIn, double scaleIn)
    {
        var z = DoubleMatrix.Centre(DoubleMatrix.FromRowMajor(set.New, set.Count, set.NewDimension), meanIn) / scaleIn;
        return DoubleMatrix.ToRowMajorSingle(z);
    }

    private static double RmsRowNorm(Matrix<double> m)
    {
        var rms = DoubleMatrix.FrobeniusNorm(m) / Math.Sqrt(Math.Max(1, m.RowCount));
        return rms > 0 ? rms : 1;
    }

    /// <summary>N(0, 1) entries (Box–Muller): with ‖z'‖ ≈ 1 the residual's hidden coordinates <c>z'·U</c> start near unit variance.</summary>
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

    /// <summary>The residual's trainable parameters at one epoch.</summary>
    private sealed record Snapshot(float[] U, float[] V, float[] C);

    /// <summary>The frozen base map and the trainable residual, row-major float32.</summary>
    private sealed class Model(int dIn, int dOut, int rank, float[] baseWeights, float[] meanOut, float alpha, float beta, float[] u)
    {
        private readonly AdamState _u = new(u, decayTowardStart: true);
        private readonly AdamState _v = new(new float[rank * dOut], decayTowardStart: false);
        private readonly AdamState _c = new(new float[dOut], decayTowardStart: false);

        public Snapshot Snapshot() => new((float[])_u.Values.Clone(), (float[])_v.Values.Clone(), (float[])_c.Values.Clone());

        /// <summary>
        /// Mean InfoNCE loss of the validation rows, each scored against the whole <paramref name="pool"/> (its own old
        /// vector at <paramref name="ownOffset"/> + row), and their identification recall@1.
        /// </summary>
        public (double Loss, double RecallAt1) ValidationLoss(float[] z, float[] pool, int ownOffset, float sharpness)
        {
            var rows = z.Length / dIn;
            var poolCount = pool.Length / dOut;
            var losses = new double[rows];
            var hits = new int[rows];
            Parallel.For(0, rows, () => (Mapped: new float[dOut], Hidden: new float[rank], Logits: new float[poolCount]), (row, _, buffers) =>
            {
                Forward(z.AsSpan(row * dIn, dIn), buffers.Hidden, buffers.Mapped);
                Normalize(buffers.Mapped);
                for (var j = 0; j < poolCount; j++)
                {
                    buffers.Logits[j] = sharpness * TensorPrimitives.Dot(buffers.Mapped, pool.AsSpan(j * dOut, dOut));
                }

                var own = buffers.Logits[ownOffset + row];
                losses[row] = LogSumExp(buffers.Logits) - own;
                hits[row] = TensorPrimitives.IndexOfMax(buffers.Logits) == ownOffset + row ? 1 : 0;
                return buffers;
            }, _ => { });
            return (losses.Average(), hits.Average());
        }

        /// <summary>For every training row, the <paramref name="count"/> other rows whose old vectors score highest against its mapped vector.</summary>
        public void MineHardNegatives(float[] z, float[] old, int count, int[] negatives)
        {
            var rows = z.Length / dIn;
            Parallel.For(0, rows, () => (Mapped: new float[dOut], Hidden: new float[rank], Scores: new float[rows]), (row, _, buffers) =>
            {
                Forward(z.AsSpan(row * dIn, dIn), buffers.Hidden, buffers.Mapped);
                for (var j = 0; j < rows; j++)
                {
                    buffers.Scores[j] = TensorPrimitives.Dot(buffers.Mapped, old.AsSpan(j * dOut, dOut));
                }

                buffers.Scores[row] = float.NegativeInfinity;
                TopIndices(buffers.Scores, negatives.AsSpan(row * count, count));
                return buffers;
            }, _ => { });
        }

        /// <summary>
        /// Adds the gradient of the batch's mean InfoNCE loss: row <c>i</c>'s candidates are the batch's old vectors (its own
        /// the positive) and its hard negatives not already in the batch; logits <c>κ·⟨x̂ᵢ/‖x̂ᵢ‖, y⟩</c>.
        /// </summary>
        public void AccumulateGradients(float[] z, float[] old, ReadOnlySpan<int> batch, int[] negatives, int hardNegatives, float sharpness)
        {
            var size = batch.Length;
            var members = batch.ToArray();
            var inBatch = new HashSet<int>(members);
            var errors = new float[size * dOut];
            var hidden = new float[size * rank];
            var scale = 1f / size;
            Parallel.For(0, size, () => (Mapped: new float[dOut], Logits: new float[size + hardNegatives], Candidates: new int[size + hardNegatives], Expected: new float[dOut]), (i, _, b) =>
            {
                var row = members[i];
                var h = hidden.AsSpan(i * rank, rank);
                Forward(z.AsSpan(row * dIn, dIn), h, b.Mapped);
                var norm = MathF.Max(TensorPrimitives.Norm(b.Mapped), float.Epsilon);
                TensorPrimitives.Divide(b.Mapped, norm, b.Mapped);

                var count = 0;
                foreach (var member in members)
                {
                    b.Candidates[count++] = member;
                }

                foreach (var negative in negatives.AsSpan(row * hardNegatives, hardNegatives))
                {
                    if (!inBatch.Contains(negative))
                    {
                        b.Candidates[count++] = negative;
                    }
                }

                var logits = b.Logits.AsSpan(0, count);
                for (var j = 0; j < count; j++)
                {
                    logits[j] = sharpness * TensorPrimitives.Dot(b.Mapped, old.AsSpan(b.Candidates[j] * dOut, dOut));
                }

                TensorPrimitives.SoftMax(logits, logits);

                // dL/dx̂̂ = κ·(Σⱼ pⱼ yⱼ − y_own); through the normalization dL/dx̂ = (I − x̂̂x̂̂ᵀ)·g/‖x̂‖.
                var expected = b.Expected.AsSpan();
                expected.Clear();
                for (var j = 0; j < count; j++)
                {
                    TensorPrimitives.MultiplyAdd(old.AsSpan(b.Candidates[j] * dOut, dOut), logits[j], expected, expected);
                }

                TensorPrimitives.Subtract(expected, old.AsSpan(row * dOut, dOut), expected);
                TensorPrimitives.Multiply(expected, sharpness, expected);
                var radial = TensorPrimitives.Dot(expected, b.Mapped);
                var e = errors.AsSpan(i * dOut, dOut);
                TensorPrimitives.MultiplyAdd(b.Mapped, -radial, expected, e);
                TensorPrimitives.Multiply(e, scale / norm, e);
                return b;
            }, _ => { });

            // Sequential accumulation: dc += β·e, dV += α·hᵀe, dU += α·z'ᵀ(e·Vᵀ).
            var back = new float[rank];
            for (var i = 0; i < size; i++)
            {
                var e = errors.AsSpan(i * dOut, dOut);
                var h = hidden.AsSpan(i * rank, rank);
                TensorPrimitives.MultiplyAdd(e, beta, _c.Gradient, _c.Gradient);
                for (var k = 0; k < rank; k++)
                {
                    var gv = _v.Gradient.AsSpan(k * dOut, dOut);
                    TensorPrimitives.MultiplyAdd(e, alpha * h[k], gv, gv);
                    back[k] = alpha * TensorPrimitives.Dot(_v.Values.AsSpan(k * dOut, dOut), e);
                }

                var zi = z.AsSpan(members[i] * dIn, dIn);
                for (var p = 0; p < dIn; p++)
                {
                    var gu = _u.Gradient.AsSpan(p * rank, rank);
                    TensorPrimitives.MultiplyAdd(back, zi[p], gu, gu);
                }
            }
        }

        public void Step(int t, float learningRate, float weightDecay)
        {
            _u.Step(t, learningRate, weightDecay);
            _v.Step(t, learningRate, weightDecay);
            _c.Step(t, learningRate, weightDecay);
        }

        /// <summary>
        /// <c>W = Q + α·U·V/s_in</c> (since <c>z' = z/s_in</c>), bias <c>μ_o + β·c</c>: an ordinary linear map.
        /// </summary>
        public CompatibilityMap Fold(Snapshot snapshot, Matrix<double> rotation, Vector<double> meanIn, double scaleIn, bool normalizeOutput)
        {
            var u = Matrix<double>.Build.Dense(dIn, rank, (i, k) => snapshot.U[(i * rank) + k]);
            var v = Matrix<double>.Build.Dense(rank, dOut, (k, j) => snapshot.V[(k * dOut) + j]);
            var w = rotation + (u * v * (alpha / scaleIn));
            var bias = new float[dOut];
            for (var j = 0; j < dOut; j++)
            {
                bias[j] = meanOut[j] + (beta * snapshot.C[j]);
            }

            return new CompatibilityMap(MapKind.RankingAdapter, dIn, dOut, DoubleMatrix.ToRowMajorSingle(w), DoubleMatrix.ToSingle(meanIn), bias, normalizeOutput);
        }

        /// <summary><c>h = z'·U</c>, <c>x̂ = μ_o + z'·(s_in·Q) + α·h·V + β·c</c>.</summary>
        private void Forward(ReadOnlySpan<float> z, Span<float> h, Span<float> mapped)
        {
            h.Clear();
            Gemv.AddRowCombination(z, _u.Values, h);
            meanOut.CopyTo(mapped);
            TensorPrimitives.MultiplyAdd(_c.Values, beta, mapped, mapped);
            Gemv.AddRowCombination(z, baseWeights, mapped);
            Span<float> scaled = stackalloc float[h.Length];
            TensorPrimitives.Multiply(h, alpha, scaled);
            Gemv.AddRowCombination(scaled, _v.Values, mapped);
        }

        private static void Normalize(Span<float> v)
        {
            var norm = TensorPrimitives.Norm(v);
            if (norm > 0)
            {
                TensorPrimitives.Divide(v, norm, v);
            }
        }

        private static double LogSumExp(ReadOnlySpan<float> logits)
        {
            var max = TensorPrimitives.Max(logits);
            var sum = 0d;
            foreach (var l in logits)
            {
                sum += Math.Exp(l - max);
            }

            return max + Math.Log(sum);
        }

        /// <summary>Indices of the <c>destination.Length</c> largest scores (any order) by a bounded min-heap.</summary>
        private static void TopIndices(ReadOnlySpan<float> scores, Span<int> destination)
        {
            var heap = new PriorityQueue<int, float>(destination.Length + 1);
            for (var j = 0; j < scores.Length; j++)
            {
                if (heap.Count < destination.Length)
                {
                    heap.Enqueue(j, scores[j]);
                }
                else if (heap.TryPeek(out _, out var smallest) && scores[j] > smallest)
                {
                    heap.EnqueueDequeue(j, scores[j]);
                }
            }

            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = heap.Dequeue();
            }
        }
    }
}

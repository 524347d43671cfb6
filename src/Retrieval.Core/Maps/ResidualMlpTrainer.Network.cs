using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

internal static partial class ResidualMlpTrainer
{
    /// <summary>The trainable network <c>ŷ = z·W + c + ReLU(z·A + a)·B</c> on standardized data, row-major float32.</summary>
    private sealed class Network
    {
        private readonly int _dIn;
        private readonly int _hidden;
        private readonly int _dOut;
        private readonly AdamState _w;
        private readonly AdamState _c;
        private readonly AdamState _a;
        private readonly AdamState _ab;
        private readonly AdamState _b;
        private readonly float[] _h;
        private readonly float[] _y;
        private readonly float[] _dh;

        public Network(int dIn, int hidden, int dOut, float[] linear, float[] inputWeights)
        {
            _dIn = dIn;
            _hidden = hidden;
            _dOut = dOut;
            _w = new AdamState(linear, decayTowardStart: true);
            _c = new AdamState(new float[dOut], decayTowardStart: false);
            _a = new AdamState(inputWeights, decayTowardStart: false);
            _ab = new AdamState(new float[hidden], decayTowardStart: false);
            _b = new AdamState(new float[hidden * dOut], decayTowardStart: false);
            _h = new float[hidden];
            _y = new float[dOut];
            _dh = new float[hidden];
        }

        /// <summary>Adds the gradient of <c>(1/m)·Σ‖ŷ − t‖²</c> over the batch rows to every parameter's gradient buffer.</summary>
        public void AccumulateGradients(Standardized data, ReadOnlySpan<int> batch)
        {
            var scale = 2f / batch.Length;
            foreach (var row in batch)
            {
                var z = data.Z.AsSpan(row * _dIn, _dIn);
                Forward(z);

                // e = dL/dŷ = 2(ŷ − t)/m.
                var e = _y.AsSpan();
                TensorPrimitives.Subtract(e, data.T.AsSpan(row * _dOut, _dOut), e);
                TensorPrimitives.Multiply(e, scale, e);

                TensorPrimitives.Add(_c.Gradient, e, _c.Gradient);
                AddOuter(z, e, _w.Gradient);
                AddOuter(_h, e, _b.Gradient);

                // dh_j = B[j,:]·e on active units only (ReLU'(pre) = 1 where h > 0).
                for (var j = 0; j < _hidden; j++)
                {
                    _dh[j] = _h[j] > 0f ? TensorPrimitives.Dot(_b.Values.AsSpan(j * _dOut, _dOut), e) : 0f;
                }

                TensorPrimitives.Add(_ab.Gradient, _dh, _ab.Gradient);
                AddOuter(z, _dh, _a.Gradient);
            }
        }

        public void Step(int t, float learningRate, float weightDecay)
        {
            _w.Step(t, learningRate, weightDecay);
            _c.Step(t, learningRate, 0f);
            _a.Step(t, learningRate, weightDecay);
            _ab.Step(t, learningRate, 0f);
            _b.Step(t, learningRate, weightDecay);
        }

        /// <summary>Mean over rows of <c>‖ŷ − t‖²</c>.</summary>
        public double MeanSquaredError(Standardized data)
        {
            var total = 0d;
            for (var row = 0; row < data.Count; row++)
            {
                Forward(data.Z.AsSpan(row * _dIn, _dIn));
                var e = _y.AsSpan();
                TensorPrimitives.Subtract(e, data.T.AsSpan(row * _dOut, _dOut), e);
                total += TensorPrimitives.SumOfSquares(e);
            }

            return total / Math.Max(1, data.Count);
        }

        public NetworkSnapshot Snapshot() => new(
            (float[])_w.Values.Clone(),
            (float[])_c.Values.Clone(),
            (float[])_a.Values.Clone(),
            (float[])_ab.Values.Clone(),
            (float[])_b.Values.Clone());

        /// <summary>h = ReLU(z·A + a) into the hidden buffer, ŷ = z·W + c + h·B into the output buffer.</summary>
        private void Forward(ReadOnlySpan<float> z)
        {
            _ab.Values.CopyTo(_h, 0);
            Gemv.AddRowCombination(z, _a.Values, _h);
            TensorPrimitives.Max(_h, 0f, _h);
            _c.Values.CopyTo(_y, 0);
            Gemv.AddRowCombination(z, _w.Values, _y);
            Gemv.AddRowCombination(_h, _b.Values, _y);
        }

        /// <summary><c>G += uᵀ·v</c> for row-major <c>G</c> (<c>u.Length × v.Length</c>).</summary>
        private static void AddOuter(ReadOnlySpan<float> u, ReadOnlySpan<float> v, Span<float> g)
        {
            var cols = v.Length;
            for (var i = 0; i < u.Length; i++)
            {
                if (u[i] != 0f)
                {
                    var row = g.Slice(i * cols, cols);
                    TensorPrimitives.MultiplyAdd(v, u[i], row, row);
                }
            }
        }
    }

    /// <summary>Parameters of one epoch, in standardized units.</summary>
    private sealed record NetworkSnapshot(float[] W, float[] C, float[] A, float[] HiddenBias, float[] B)
    {
        /// <summary>
        /// Undoes the standardization: <c>ŷ = μ_o + s_out·(z/s_in·W + c + ReLU(z/s_in·A + a)·B)</c>, hence
        /// <c>W_final = W·s_out/s_in</c>, <c>b = μ_o + s_out·c</c>, <c>A_final = A/s_in</c>, <c>B_final = B·s_out</c>.
        /// </summary>
        public CompatibilityMap Fold(int dIn, int hidden, int dOut, Vector<double> meanIn, Vector<double> meanOut, double scaleIn, double scaleOut, bool normalizeOutput)
        {
            var w = new float[W.Length];
            TensorPrimitives.Multiply(W, (float)(scaleOut / scaleIn), w);
            var bias = new float[dOut];
            for (var j = 0; j < dOut; j++)
            {
                bias[j] = (float)(meanOut[j] + (scaleOut * C[j]));
            }

            var a = new float[A.Length];
            TensorPrimitives.Multiply(A, (float)(1 / scaleIn), a);
            var b = new float[B.Length];
            TensorPrimitives.Multiply(B, (float)scaleOut, b);
            var residual = new ResidualLayer(dIn, hidden, dOut, a, HiddenBias, b);
            return new CompatibilityMap(MapKind.ResidualMlp, dIn, dOut, w, DoubleMatrix.ToSingle(meanIn), bias, normalizeOutput, 0, residual);
        }
    }
}

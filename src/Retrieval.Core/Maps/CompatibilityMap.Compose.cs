namespace Retrieval.Core.Maps;

public sealed partial class CompatibilityMap
{
    /// <summary>
    /// One map equal to applying <paramref name="first"/> then <paramref name="second"/> (a chain v3→v2→v1), computed in double.
    /// With <c>a(x) = (x − μa)Wa + ba</c> and <c>b(y) = (y − μb)Wb + bb</c>:
    /// <c>b(a(x)) = (x − μa)·(Wa·Wb) + ((ba − μb)·Wb + bb)</c>, exact for affine maps.
    /// A residual term on one side folds in exactly too (its input or output is an affine image); two residual maps,
    /// or a re-normalizing first map followed by a shifted second map, are not expressible as one map and throw.
    /// When <paramref name="first"/> is an extend map, <paramref name="second"/> reads its compatible prefix.
    /// </summary>
    /// <exception cref="ArgumentException">When the dimensions do not chain.</exception>
    /// <exception cref="NotSupportedException">When the composition is not exactly one map.</exception>
    public static CompatibilityMap Compose(CompatibilityMap first, CompatibilityMap second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var k = second.InputDimension;
        if (k != first.OutputDimension && k != first.CompatiblePrefix)
        {
            throw new ArgumentException($"cannot chain a {first.InputDimension}→{first.OutputDimension} map (compatible prefix {first.CompatiblePrefix}) into a {second.InputDimension}→{second.OutputDimension} map");
        }

        if (first.Residual is not null && second.Residual is not null)
        {
            throw new NotSupportedException("two maps with residual terms do not compose into one map");
        }

        // Normalizing between the maps divides by ‖a(x)‖; that only cancels when b is linear (no shift, no residual)
        // and re-normalizes its own output: normalize((a/s)·Wb) = normalize(a·Wb).
        if (first.NormalizeOutput && !(second.NormalizeOutput && second.Residual is null && IsZero(second._inputMean) && IsZero(second._bias)))
        {
            throw new NotSupportedException("a re-normalizing map composes only with a linear, re-normalizing second map");
        }

        var dIn = first.InputDimension;
        var dOut = second.OutputDimension;
        var wa = Columns(first._weights, first.OutputDimension, k);
        var ba = Columns(first._bias, first.OutputDimension, k);

        // shift = ba − μb: the constant the second map sees in its centred input.
        var shift = new double[k];
        for (var j = 0; j < k; j++)
        {
            shift[j] = ba[j] - second._inputMean[j];
        }

        var weights = MultiplyToSingle(wa, second._weights, dIn, k, dOut);
        var bias = MultiplyToSingle(shift, second._weights, 1, k, dOut);
        for (var j = 0; j < dOut; j++)
        {
            bias[j] += second._bias[j];
        }

        ResidualLayer? residual = null;
        if (second.Residual is { } rb)
        {
            // ReLU((y − μb)·Ab + ab) with y − μb = (x − μa)·Wa + shift.
            var inputWeights = MultiplyToSingle(wa, rb.InputWeights.ToArray(), dIn, k, rb.Hidden);
            var hiddenBias = MultiplyToSingle(shift, rb.InputWeights.ToArray(), 1, k, rb.Hidden);
            for (var j = 0; j < rb.Hidden; j++)
            {
                hiddenBias[j] += rb.HiddenBias[j];
            }

            residual = new ResidualLayer(dIn, rb.Hidden, dOut, inputWeights, hiddenBias, rb.OutputWeights);
        }
        else if (first.Residual is { } ra)
        {
            // The residual's output passes through the second map's linear part: ReLU(·)·(Ba·Wb).
            var outputWeights = MultiplyToSingle(Columns(ra.OutputWeights.ToArray(), first.OutputDimension, k), second._weights, ra.Hidden, k, dOut);
            residual = new ResidualLayer(dIn, ra.Hidden, dOut, ra.InputWeights, ra.HiddenBias, outputWeights);
        }

        return new CompatibilityMap(MapKind.Composed, dIn, dOut, weights, first._inputMean, bias, second.NormalizeOutput, second.CompatiblePrefix, residual);
    }

    private static bool IsZero(float[] values) => Array.TrueForAll(values, v => v == 0f);

    /// <summary>The first <paramref name="keep"/> columns of a row-major matrix with <paramref name="cols"/> columns, as double.</summary>
    private static double[] Columns(ReadOnlySpan<float> m, int cols, int keep)
    {
        var rows = m.Length / cols;
        var result = new double[rows * keep];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < keep; j++)
            {
                result[(i * keep) + j] = m[(i * cols) + j];
            }
        }

        return result;
    }

    /// <summary>Row-major <c>(m × k)·(k × n)</c> accumulated in double, rounded once to float.</summary>
    private static float[] MultiplyToSingle(double[] a, float[] b, int m, int k, int n)
    {
        var row = new double[n];
        var result = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            Array.Clear(row);
            for (var p = 0; p < k; p++)
            {
                var c = a[(i * k) + p];
                if (c == 0d)
                {
                    continue;
                }

                var offset = p * n;
                for (var j = 0; j < n; j++)
                {
                    row[j] += c * b[offset + j];
                }
            }

            for (var j = 0; j < n; j++)
            {
                result[(i * n) + j] = (float)row[j];
            }
        }

        return result;
    }
}

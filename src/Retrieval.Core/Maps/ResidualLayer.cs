using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// The non-linear residual term of a map: <c>r(z) = ReLU(z·A + a)·B</c> with <c>z = x − μ_in</c>.
/// <c>A</c> is <c>d_in × h</c>, <c>a</c> has <c>h</c> entries, <c>B</c> is <c>h × d_out</c>, all row-major float32.
/// </summary>
public sealed class ResidualLayer
{
    private readonly float[] _inputWeights;
    private readonly float[] _hiddenBias;
    private readonly float[] _outputWeights;

    /// <summary>Creates a residual layer; the arrays are copied and checked for shape and finiteness.</summary>
    public ResidualLayer(int inputDimension, int hidden, int outputDimension, ReadOnlySpan<float> inputWeights, ReadOnlySpan<float> hiddenBias, ReadOnlySpan<float> outputWeights)
    {
        if (inputDimension <= 0 || hidden <= 0 || outputDimension <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(hidden), "dimensions must be positive");
        }

        MapChecks.Shape(inputWeights, (long)inputDimension * hidden, FieldPath.Of("residual").Member("inputWeights"));
        MapChecks.Shape(hiddenBias, hidden, FieldPath.Of("residual").Member("hiddenBias"));
        MapChecks.Shape(outputWeights, (long)hidden * outputDimension, FieldPath.Of("residual").Member("outputWeights"));
        InputDimension = inputDimension;
        Hidden = hidden;
        OutputDimension = outputDimension;
        _inputWeights = inputWeights.ToArray();
        _hiddenBias = hiddenBias.ToArray();
        _outputWeights = outputWeights.ToArray();
    }

    /// <summary>Input dimension <c>d_in</c>.</summary>
    public int InputDimension { get; }

    /// <summary>Hidden width <c>h</c>.</summary>
    public int Hidden { get; }

    /// <summary>Output dimension <c>d_out</c>.</summary>
    public int OutputDimension { get; }

    /// <summary><c>A</c>, row-major <c>d_in × h</c>.</summary>
    public ReadOnlySpan<float> InputWeights => _inputWeights;

    /// <summary><c>a</c>, <c>h</c> entries.</summary>
    public ReadOnlySpan<float> HiddenBias => _hiddenBias;

    /// <summary><c>B</c>, row-major <c>h × d_out</c>.</summary>
    public ReadOnlySpan<float> OutputWeights => _outputWeights;
}

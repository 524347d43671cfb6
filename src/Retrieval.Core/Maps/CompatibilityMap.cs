using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// A fitted map from a new embedding space into an old one (DESIGN §7), immutable and thread-safe:
/// <c>x̂ = (x − μ_in)·W + b [+ ReLU((x − μ_in)·A + a)·B]</c>, then optionally re-normalized to unit length.
/// <c>W</c> is <c>d_in × d_out</c> row-major float32 (fitted in double, stored in float).
/// For <see cref="MapKind.OrthogonalExtend"/> only the first <see cref="CompatiblePrefix"/> output
/// coordinates are comparable with the old space; the rest carry the new model's extra dimensions.
/// </summary>
public sealed partial class CompatibilityMap
{
    private readonly float[] _weights;
    private readonly float[] _inputMean;
    private readonly float[] _bias;

    /// <summary>Creates a map; arrays are copied and validated (shapes, finiteness) with field names for the caller.</summary>
    /// <param name="kind">How the map was obtained.</param>
    /// <param name="inputDimension"><c>d_in</c>, the new (source) space dimension.</param>
    /// <param name="outputDimension"><c>d_out</c>, the output dimension.</param>
    /// <param name="weights"><c>W</c>, row-major <c>d_in × d_out</c>.</param>
    /// <param name="inputMean"><c>μ_in</c> (<c>d_in</c> values), or empty for zero.</param>
    /// <param name="bias"><c>b</c> (<c>d_out</c> values), or empty for zero.</param>
    /// <param name="normalizeOutput">Re-normalize the output to unit L2 norm (cosine targets).</param>
    /// <param name="compatiblePrefix">Leading output coordinates comparable with the old space; 0 means all.</param>
    /// <param name="residual">Optional non-linear residual term.</param>
    public CompatibilityMap(
        MapKind kind,
        int inputDimension,
        int outputDimension,
        ReadOnlySpan<float> weights,
        ReadOnlySpan<float> inputMean = default,
        ReadOnlySpan<float> bias = default,
        bool normalizeOutput = false,
        int compatiblePrefix = 0,
        ResidualLayer? residual = null)
    {
        if (inputDimension <= 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("inputDimension"), "must be positive");
        }

        if (outputDimension <= 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("outputDimension"), "must be positive");
        }

        if (compatiblePrefix < 0 || compatiblePrefix > outputDimension)
        {
            throw RetrievalException.Invalid(FieldPath.Of("compatiblePrefix"), $"must be in [0, {outputDimension}]");
        }

        MapChecks.Shape(weights, (long)inputDimension * outputDimension, FieldPath.Of("weights"));
        if (!inputMean.IsEmpty)
        {
            MapChecks.Shape(inputMean, inputDimension, FieldPath.Of("inputMean"));
        }

        if (!bias.IsEmpty)
        {
            MapChecks.Shape(bias, outputDimension, FieldPath.Of("bias"));
        }

        if (residual is not null && (residual.InputDimension != inputDimension || residual.OutputDimension != outputDimension))
        {
            throw RetrievalException.Invalid(FieldPath.Of("residual"), $"residual is {residual.InputDimension}→{residual.OutputDimension}, map is {inputDimension}→{outputDimension}");
        }

        Kind = kind;
        InputDimension = inputDimension;
        OutputDimension = outputDimension;
        CompatiblePrefix = compatiblePrefix == 0 ? outputDimension : compatiblePrefix;
        NormalizeOutput = normalizeOutput;
        Residual = residual;
        _weights = weights.ToArray();
        _inputMean = inputMean.IsEmpty ? new float[inputDimension] : inputMean.ToArray();
        _bias = bias.IsEmpty ? new float[outputDimension] : bias.ToArray();
    }

    /// <summary>How the map was obtained.</summary>
    public MapKind Kind { get; }

    /// <summary><c>d_in</c>: the dimension of the vectors the map accepts.</summary>
    public int InputDimension { get; }

    /// <summary><c>d_out</c>: the dimension of the vectors the map produces.</summary>
    public int OutputDimension { get; }

    /// <summary>How many leading output coordinates are comparable with the target space (= <see cref="OutputDimension"/> except for extend maps).</summary>
    public int CompatiblePrefix { get; }

    /// <summary>Whether outputs are re-normalized to unit L2 norm after the affine (and residual) step.</summary>
    public bool NormalizeOutput { get; }

    /// <summary>The optional non-linear residual term (<see cref="MapKind.ResidualMlp"/>).</summary>
    public ResidualLayer? Residual { get; }

    /// <summary><c>W</c>, row-major <c>d_in × d_out</c>.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary><c>μ_in</c>, subtracted from the input (zeros when the kind has no input shift).</summary>
    public ReadOnlySpan<float> InputMean => _inputMean;

    /// <summary><c>b</c>, added to the output (zeros when the kind has no bias).</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>Whether the map is affine (no residual, no output normalization), so that it composes exactly with anything.</summary>
    public bool IsAffine => Residual is null && !NormalizeOutput;

    /// <summary>The same map with output re-normalization switched on or off.</summary>
    public CompatibilityMap WithNormalizeOutput(bool normalize) =>
        normalize == NormalizeOutput
            ? this
            : new CompatibilityMap(Kind, InputDimension, OutputDimension, _weights, _inputMean, _bias, normalize, CompatiblePrefix, Residual);
}

using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>Turns one raw input into a <see cref="PreparedInput"/>; throws INVALID_ARGUMENT for inputs of the wrong kind or form.</summary>
public interface IInputPreprocessor
{
    PreparedInput Prepare(EncoderInput input, bool isQuery, FieldPath field);

    /// <summary>A representative input for the probe inference run at registration.</summary>
    PreparedInput Probe();
}

using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;

namespace Retrieval.Core.Encoders;

/// <summary>
/// The encoders a space may name, as the engine sees them: binding a space to an encoder version, and encoding raw
/// inputs with it. The server implements it over its ONNX encoder registry; an engine without one refuses both.
/// </summary>
public interface ISpaceEncoders
{
    /// <summary>
    /// Holds encoder registration and deletion off until disposed, so that a space being bound to an encoder cannot
    /// lose it before the space is committed (the registry refuses to delete an encoder that a committed space names).
    /// </summary>
    Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads the registered encoders again where several nodes register them (a cluster's shared store): called when the
    /// store's catalog moved. Nothing to do where only this process registers them.
    /// </summary>
    Task RefreshAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Checks that <paramref name="requested"/> exists and produces vectors that <paramref name="space"/> can hold, and
    /// returns the reference to store: version resolved (empty = latest) and the model checksum filled in.
    /// INVALID_ARGUMENT naming <paramref name="field"/> otherwise.
    /// </summary>
    EncoderRef Bind(EncoderRef requested, SpaceDefinition space, FieldPath field);

    /// <summary>
    /// Encodes inputs with a bound encoder, one vector each, in the order given; inputs join the encoder's shared
    /// micro-batches. Queries get the encoder's query prefix. A bad input is INVALID_ARGUMENT naming
    /// <c>fieldOf(index)</c>; an encoder whose model no longer matches the bound checksum is FAILED_PRECONDITION.
    /// </summary>
    Task<IReadOnlyList<float[]>> EncodeAsync(
        EncoderRef encoder, IReadOnlyList<RawInput> inputs, bool isQuery, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken);

    /// <summary>
    /// Encodes inputs with a bound multi-vector (token output) encoder: the token vectors of each input, in the order
    /// given, less the tokens <paramref name="drop"/> names. Queries get the encoder's query prefix. Errors as
    /// <see cref="EncodeAsync"/>; an input left with no token after dropping is INVALID_ARGUMENT naming <c>fieldOf(index)</c>.
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<float[]>>> EncodeTokensAsync(
        EncoderRef encoder, IReadOnlyList<RawInput> inputs, bool isQuery, TokenDrop drop, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken);
}

using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Proto = Retrieval.Contracts.V1;

namespace Retrieval.Server.Mapping;

/// <summary>Raw inputs of items and searches (<c>{"text": ...}</c>, <c>{"image": base64}</c>, <c>{"tensor": ...}</c>) ⇄ <see cref="RawInput"/>.</summary>
internal static class InputMapping
{
    public static RawInput ToRawInput(Proto.EncoderInput input, FieldPath field) => input.ValueCase switch
    {
        Proto.EncoderInput.ValueOneofCase.Text => RawInput.FromText(input.Text),
        Proto.EncoderInput.ValueOneofCase.Image when input.Image.IsEmpty => throw RetrievalException.Invalid(field.Member("image"), "is empty"),
        Proto.EncoderInput.ValueOneofCase.Image => RawInput.FromImage(input.Image.ToByteArray()),
        Proto.EncoderInput.ValueOneofCase.Tensor => RawInput.FromTensor(input.Tensor.Shape, input.Tensor.Values.ToArray()),
        _ => throw RetrievalException.Invalid(field, "needs one of text, image or tensor"),
    };

    /// <summary>A stored input as it was sent (GetItems/ScrollItems with <c>with_inputs</c>).</summary>
    public static Proto.EncoderInput ToProto(RawInput input) => input.Kind switch
    {
        RawInputKind.Text => new Proto.EncoderInput { Text = input.Text },
        RawInputKind.Image => new Proto.EncoderInput { Image = Google.Protobuf.ByteString.CopyFrom(input.Content) },
        _ => TensorToProto(input),
    };

    private static Proto.EncoderInput TensorToProto(RawInput input)
    {
        var (shape, values) = input.ReadTensor();
        return new Proto.EncoderInput { Tensor = new Proto.TensorValue { Shape = { shape }, Values = { values } } };
    }
}

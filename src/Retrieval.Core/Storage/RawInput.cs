using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Retrieval.Core.Storage;

/// <summary>What kind of raw input an item or query carries in place of a vector.</summary>
public enum RawInputKind
{
    Text = 1,
    Image = 2,
    Tensor = 3,
}

/// <summary>
/// A raw input that an encoder turns into a vector: a text, an encoded image (JPEG/PNG bytes) or a float tensor.
/// <see cref="Content"/> is the stored form: UTF-8 text, the image bytes as sent, or a tensor as little-endian
/// int32 rank, int32 dimensions and float32 values; stores keep it opaque next to <see cref="Kind"/>.
/// </summary>
public sealed record RawInput(RawInputKind Kind, byte[] Content)
{
    public static RawInput FromText(string text) => new(RawInputKind.Text, Encoding.UTF8.GetBytes(text));

    public static RawInput FromImage(byte[] bytes) => new(RawInputKind.Image, bytes);

    public static RawInput FromTensor(IReadOnlyList<int> shape, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var header = 4 * (1 + shape.Count);
        var content = new byte[header + (4 * values.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(content, shape.Count);
        for (var i = 0; i < shape.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(4 * (i + 1)), shape[i]);
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(content.AsSpan(header + (4 * i)), values[i]);
        }

        return new RawInput(RawInputKind.Tensor, content);
    }

    public string Text => Kind == RawInputKind.Text
        ? Encoding.UTF8.GetString(Content)
        : throw new InvalidOperationException($"a {Kind} input has no text");

    /// <summary>Reads a tensor input back: its per-item shape and row-major values.</summary>
    public (int[] Shape, float[] Values) ReadTensor()
    {
        if (Kind != RawInputKind.Tensor || Content.Length < 4)
        {
            throw new InvalidOperationException($"a {Kind} input is not a tensor");
        }

        var rank = BinaryPrimitives.ReadInt32LittleEndian(Content);
        var header = 4 * (1 + rank);
        if (rank < 0 || header > Content.Length || (Content.Length - header) % 4 != 0)
        {
            throw new InvalidDataException("a stored tensor input is malformed");
        }

        var shape = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32LittleEndian(Content.AsSpan(4 * (i + 1)));
        }

        var values = new float[(Content.Length - header) / 4];
        var source = Content.AsSpan(header);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(source).CopyTo(values);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
            }
        }

        return (shape, values);
    }

    /// <summary>Records compare by reference for arrays; inputs are equal when kind and bytes are.</summary>
    public bool Equals(RawInput? other) =>
        other is not null && other.Kind == Kind && other.Content.AsSpan().SequenceEqual(Content);

    public override int GetHashCode() => HashCode.Combine(Kind, Content.Length);
}

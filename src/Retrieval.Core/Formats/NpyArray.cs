using System.Buffers.Binary;

namespace Retrieval.Core.Formats;

/// <summary>An array read from a <c>.npy</c> file: its shape (C order), element type and raw little-endian bytes.</summary>
public sealed class NpyArray
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    internal NpyArray(NpyDType dtype, int[] shape, byte[] data)
    {
        DType = dtype;
        _shape = shape;
        _data = data;
    }

    /// <summary>The element type.</summary>
    public NpyDType DType { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The number of elements (product of the shape).</summary>
    public long Count => _data.Length / ElementSize(DType);

    /// <summary>Rows of a 2-D array (the first axis; 1 for a scalar).</summary>
    public int Rows => _shape.Length == 0 ? 1 : _shape[0];

    /// <summary>Columns of a 2-D array (the product of the remaining axes; 1 for 1-D).</summary>
    public int Columns => _shape.Length <= 1 ? 1 : (int)(Count / Math.Max(1, _shape[0]));

    /// <summary>The elements converted to float32, row-major.</summary>
    public float[] ToSingleArray()
    {
        var result = new float[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)Get(i);
        }

        return result;
    }

    /// <summary>The elements converted to float64, row-major.</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Get(i);
        }

        return result;
    }

    /// <summary>The elements as 64-bit integers; only for integer arrays.</summary>
    /// <exception cref="InvalidOperationException">For floating-point arrays.</exception>
    public long[] ToInt64Array()
    {
        if (DType is not (NpyDType.I4 or NpyDType.I8))
        {
            throw new InvalidOperationException($"a {DType} array is not integral");
        }

        var result = new long[Count];
        var span = _data.AsSpan();
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = DType == NpyDType.I8
                ? BinaryPrimitives.ReadInt64LittleEndian(span[(i * 8)..])
                : BinaryPrimitives.ReadInt32LittleEndian(span[(i * 4)..]);
        }

        return result;
    }

    internal static int ElementSize(NpyDType dtype) => dtype is NpyDType.F4 or NpyDType.I4 ? 4 : 8;

    private double Get(int i)
    {
        var span = _data.AsSpan();
        return DType switch
        {
            NpyDType.F4 => BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]),
            NpyDType.F8 => BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]),
            NpyDType.I4 => BinaryPrimitives.ReadInt32LittleEndian(span[(i * 4)..]),
            _ => BinaryPrimitives.ReadInt64LittleEndian(span[(i * 8)..]),
        };
    }
}

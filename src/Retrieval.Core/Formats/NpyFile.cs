using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Retrieval.Core.Formats;

/// <summary>
/// A small reader and writer of NumPy <c>.npy</c> files (format 1.0–3.0): little-endian <c>f4</c>/<c>f8</c>/<c>i4</c>/<c>i8</c>,
/// C order only, no pickles. Layout: <c>\x93NUMPY</c>, major, minor, header length (u16 in 1.0, u32 later), a Python dict
/// literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (r, c), }</c> padded so the data starts on a 64-byte boundary.
/// </summary>
public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads one array from <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">Not a .npy stream, or an unsupported dtype/order.</exception>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = new byte[10];
        stream.ReadExactly(prefix);
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a .npy file (bad magic)");
        }

        var major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix.AsSpan(8));
        }
        else if (major is 2 or 3)
        {
            var rest = new byte[2];
            stream.ReadExactly(rest);
            headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], rest[0], rest[1]]);
        }
        else
        {
            throw new InvalidDataException($"unsupported .npy version {major}");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = Encoding.Latin1.GetString(headerBytes);
        var dtype = ParseDType(Field(header, "descr"));
        if (Field(header, "fortran_order").StartsWith("True", StringComparison.Ordinal))
        {
            throw new InvalidDataException(".npy arrays in Fortran order are not supported");
        }

        var shape = ParseShape(Field(header, "shape"));
        var count = 1L;
        foreach (var s in shape)
        {
            count *= s;
        }

        var data = new byte[count * NpyArray.ElementSize(dtype)];
        stream.ReadExactly(data);
        return new NpyArray(dtype, shape, data);
    }

    /// <summary>
    /// Reads a 1-D or 2-D floating-point array as a matrix of float32 rows (float64 is narrowed; a 1-D array is one row).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a .npy file, more than two axes, or an integer dtype.</exception>
    public static VectorMatrix ReadMatrix(string path)
    {
        using var stream = File.OpenRead(path);
        var array = Read(stream);
        if (array.Shape.Count is 0 or > 2)
        {
            throw new InvalidDataException($"{path}: a .npy of vectors has 1 or 2 axes, this one has {array.Shape.Count}");
        }

        if (array.DType is not (NpyDType.F4 or NpyDType.F8))
        {
            throw new InvalidDataException($"{path}: vectors must be float32 or float64, not {array.DType}");
        }

        return array.Shape.Count == 1
            ? new VectorMatrix(1, array.Shape[0], array.ToSingleArray())
            : new VectorMatrix(array.Shape[0], array.Shape[1], array.ToSingleArray());
    }

    /// <summary>Reads an integer array (int32, or int64 narrowed with a range check) as int32 values, row-major.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, a floating-point dtype, or an int64 value outside int32.</exception>
    public static int[] ReadInt32(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadInt32(stream);
    }

    /// <inheritdoc cref="ReadInt32(string)"/>
    public static int[] ReadInt32(Stream stream)
    {
        var array = Read(stream);
        if (array.DType is not (NpyDType.I4 or NpyDType.I8))
        {
            throw new InvalidDataException($".npy dtype '<{array.DType.ToString().ToLowerInvariant()}' is not an integer type; use '<i4' or '<i8'");
        }

        var values = array.ToInt64Array();
        var result = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is < int.MinValue or > int.MaxValue)
            {
                throw new InvalidDataException($".npy value {values[i]} at index {i} does not fit in int32");
            }

            result[i] = (int)values[i];
        }

        return result;
    }

    /// <summary>Writes float32 values with the given C-order shape.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> values, params int[] shape)
    {
        var data = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
        }

        WriteRaw(stream, "<f4", data, values.Length, shape);
    }

    /// <summary>Writes float64 values with the given C-order shape.</summary>
    public static void Write(Stream stream, ReadOnlySpan<double> values, params int[] shape)
    {
        var data = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), values[i]);
        }

        WriteRaw(stream, "<f8", data, values.Length, shape);
    }

    private static void WriteRaw(Stream stream, string descr, byte[] data, int count, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        var product = 1L;
        foreach (var s in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(s, nameof(shape));
            product *= s;
        }

        if (product != count)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {product} values, got {count}", nameof(shape));
        }

        var shapeText = shape.Length == 1
            ? string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)")
            : "(" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";

        // Pad with spaces and a final newline so that 10 + header length is a multiple of 64.
        var total = 10 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - (total % 64)) % 64) + "\n";
        Span<byte> prefix = stackalloc byte[10];
        Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], (ushort)padded.Length);
        stream.Write(prefix);
        stream.Write(Encoding.Latin1.GetBytes(padded));
        stream.Write(data);
    }

    /// <summary>The raw text after <c>'key':</c> in the header dict.</summary>
    private static string Field(string header, string key)
    {
        var at = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidDataException($".npy header lacks '{key}': {header}");
        }

        var colon = header.IndexOf(':', at);
        return header[(colon + 1)..].TrimStart();
    }

    private static NpyDType ParseDType(string text)
    {
        var end = text.IndexOf('\'', 1);
        var descr = text[1..end];
        return descr switch
        {
            "<f4" => NpyDType.F4,
            "<f8" => NpyDType.F8,
            "<i4" => NpyDType.I4,
            "<i8" => NpyDType.I8,
            _ => throw new InvalidDataException($"unsupported .npy dtype '{descr}' (little-endian f4, f8, i4, i8 only)"),
        };
    }

    private static int[] ParseShape(string text)
    {
        var end = text.IndexOf(')', StringComparison.Ordinal);
        var inner = text[1..end];
        return inner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture))
            .ToArray();
    }
}

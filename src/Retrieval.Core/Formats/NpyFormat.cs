using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Retrieval.Core.Formats;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1–3) holding 1-D or 2-D little-endian float32 or
/// float64 arrays in C order; float64 is narrowed to float32 on read. Other dtypes are rejected with a clear error.
/// </summary>
public static partial class NpyFormat
{
    // 0x93 is a raw byte, not a character: a u8 string literal would encode it as two UTF-8 bytes.
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    [GeneratedRegex(@"'descr':\s*'(?<descr>[^']+)'.*'fortran_order':\s*(?<fortran>True|False).*'shape':\s*\((?<shape>[^)]*)\)", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex HeaderPattern();

    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (descr, rows, columns) = ReadHeader(stream);
        var count = checked((int)(rows * columns));
        var data = new float[count];
        switch (descr)
        {
            case "<f4":
                ReadFloat32(stream, data);
                break;
            case "<f8":
                ReadFloat64(stream, data);
                break;
            default:
                throw new InvalidDataException($".npy dtype '{descr}' is not supported; use float32 ('<f4') or float64 ('<f8')");
        }

        return new NpyArray((int)rows, (int)columns, data);
    }

    /// <summary>Writes a 2-D float32 array (format version 1.0).</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> data, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if ((long)rows * columns != data.Length)
        {
            throw new ArgumentException($"{data.Length} values do not form a {rows}×{columns} array", nameof(data));
        }

        var header = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        // Pad with spaces so that magic + length + header + newline is a multiple of 64 bytes.
        var total = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var buffer = new byte[4096 * sizeof(float)];
        for (var offset = 0; offset < data.Length; offset += 4096)
        {
            var chunk = data.Slice(offset, Math.Min(4096, data.Length - offset));
            for (var i = 0; i < chunk.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * sizeof(float)), chunk[i]);
            }

            stream.Write(buffer, 0, chunk.Length * sizeof(float));
        }
    }

    /// <summary>Reads magic, version and header dict; returns the dtype descriptor and the shape as rows × columns (1-D: one row).</summary>
    private static (string Descr, long Rows, long Columns) ReadHeader(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        if (!prefix[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a .npy file (bad magic)");
        }

        int headerLength;
        if (prefix[6] == 1)
        {
            Span<byte> length = stackalloc byte[2];
            stream.ReadExactly(length);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(length);
        }
        else
        {
            Span<byte> length = stackalloc byte[4];
            stream.ReadExactly(length);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(length));
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = Encoding.Latin1.GetString(headerBytes);
        var match = HeaderPattern().Match(header);
        if (!match.Success)
        {
            throw new InvalidDataException($"unreadable .npy header: {header.Trim()}");
        }

        if (match.Groups["fortran"].Value == "True")
        {
            throw new InvalidDataException(".npy arrays in Fortran order are not supported; save with C order");
        }

        var shape = match.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var (rows, columns) = shape.Length switch
        {
            1 => (1L, shape[0]),
            2 => (shape[0], shape[1]),
            _ => throw new InvalidDataException($".npy array has {shape.Length} dimensions; 1 or 2 expected"),
        };
        return (match.Groups["descr"].Value, rows, columns);
    }

    private static void ReadFloat32(Stream stream, float[] data)
    {
        var buffer = new byte[64 * 1024];
        var index = 0;
        while (index < data.Length)
        {
            var want = Math.Min(buffer.Length, (data.Length - index) * sizeof(float));
            stream.ReadExactly(buffer, 0, want);
            for (var i = 0; i < want; i += sizeof(float))
            {
                data[index++] = BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(i));
            }
        }
    }

    private static void ReadFloat64(Stream stream, float[] data)
    {
        var buffer = new byte[64 * 1024];
        var index = 0;
        while (index < data.Length)
        {
            var want = Math.Min(buffer.Length, (data.Length - index) * sizeof(double));
            stream.ReadExactly(buffer, 0, want);
            for (var i = 0; i < want; i += sizeof(double))
            {
                data[index++] = (float)BinaryPrimitives.ReadDoubleLittleEndian(buffer.AsSpan(i));
            }
        }
    }
}

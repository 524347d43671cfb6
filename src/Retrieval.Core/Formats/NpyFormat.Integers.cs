using System.Buffers.Binary;

namespace Retrieval.Core.Formats;

public static partial class NpyFormat
{
    /// <summary>Reads a 1-D or 2-D little-endian int32 or int64 array (C order), flattened, as int32.</summary>
    public static int[] ReadInt32(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadInt32(stream);
    }

    /// <summary>
    /// Reads a 1-D or 2-D little-endian <c>&lt;i4</c> or <c>&lt;i8</c> array (C order), flattened row-major, as int32
    /// (token ids, CSR offsets). int64 values outside the int32 range are rejected rather than truncated.
    /// </summary>
    /// <exception cref="InvalidDataException">Another dtype, or an int64 value that does not fit in int32.</exception>
    public static int[] ReadInt32(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (descr, rows, columns) = ReadHeader(stream);
        var width = descr switch
        {
            "<i4" => sizeof(int),
            "<i8" => sizeof(long),
            _ => throw new InvalidDataException($".npy dtype '{descr}' is not an integer array; use int32 ('<i4') or int64 ('<i8')"),
        };
        var data = new int[checked((int)(rows * columns))];
        var buffer = new byte[64 * 1024];
        var index = 0;
        while (index < data.Length)
        {
            var want = Math.Min(buffer.Length, (data.Length - index) * width);
            stream.ReadExactly(buffer, 0, want);
            for (var i = 0; i < want; i += width)
            {
                if (width == sizeof(int))
                {
                    data[index++] = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(i));
                    continue;
                }

                var value = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(i));
                if (value is < int.MinValue or > int.MaxValue)
                {
                    throw new InvalidDataException($".npy int64 value {value} at index {index} does not fit in int32");
                }

                data[index++] = (int)value;
            }
        }

        return data;
    }
}

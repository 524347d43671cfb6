using System.Buffers.Binary;

namespace Retrieval.Core.Formats;

/// <summary>
/// Reads <c>.fvecs</c> files (TEXMEX / ANN benchmarks): each vector is an int32 dimension followed by that many
/// little-endian float32 values; every vector must have the same dimension.
/// </summary>
public static class FvecsFormat
{
    public static VectorMatrix Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    public static VectorMatrix Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var values = new List<float>();
        Span<byte> dimensionBytes = stackalloc byte[4];
        var dimension = -1;
        var rows = 0;
        byte[] buffer = [];
        while (stream.ReadAtLeast(dimensionBytes, 4, throwOnEndOfStream: false) == 4)
        {
            var d = BinaryPrimitives.ReadInt32LittleEndian(dimensionBytes);
            if (d <= 0 || (dimension >= 0 && d != dimension))
            {
                throw new InvalidDataException($".fvecs vector {rows} has dimension {d}, expected {(dimension < 0 ? "a positive value" : dimension)}");
            }

            if (dimension < 0)
            {
                dimension = d;
                buffer = new byte[d * sizeof(float)];
            }

            stream.ReadExactly(buffer);
            for (var i = 0; i < d; i++)
            {
                values.Add(BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(i * sizeof(float))));
            }

            rows++;
        }

        return new VectorMatrix(rows, Math.Max(dimension, 0), [.. values]);
    }
}

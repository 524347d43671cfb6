using System.Buffers.Binary;
using System.Text;
using Retrieval.Core.Errors;
using Retrieval.Core.Formats;
using Retrieval.Core.Maps;

namespace Retrieval.Core.Tests.Formats;

public class NpyFileTests
{
    [Fact]
    public void WriteRead_Float32Matrix_RoundTrips()
    {
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f - 1).ToArray();
        using var stream = new MemoryStream();
        NpyFile.Write(stream, values, 3, 4);
        Assert.Equal(0, (stream.Length - 12 * 4) % 64); // data starts on a 64-byte boundary
        stream.Position = 0;

        var array = NpyFile.Read(stream);

        Assert.Equal(NpyDType.F4, array.DType);
        Assert.Equal([3, 4], array.Shape);
        Assert.Equal((3, 4), (array.Rows, array.Columns));
        Assert.Equal(values, array.ToSingleArray());
    }

    [Fact]
    public void WriteRead_Float64Vector_RoundTrips()
    {
        double[] values = [Math.PI, -1e300, 0];
        using var stream = new MemoryStream();
        NpyFile.Write(stream, values, 3);
        stream.Position = 0;

        var array = NpyFile.Read(stream);

        Assert.Equal(NpyDType.F8, array.DType);
        Assert.Equal([3], array.Shape);
        Assert.Equal(values, array.ToDoubleArray());
    }

    [Fact]
    public void Read_Int64AsNumpyWritesIt_ReadsValues()
    {
        // Header exactly as numpy 1.x writes np.array([5, -2], dtype=np.int64).
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
        header = header.PadRight(128 - 10 - 1) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, .. "NUMPY"u8, 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        Span<byte> data = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(data, 5);
        BinaryPrimitives.WriteInt64LittleEndian(data[8..], -2);
        stream.Write(data);
        stream.Position = 0;

        Assert.Equal([5L, -2L], NpyFile.Read(stream).ToInt64Array());
    }

    [Fact]
    public void Read_FortranOrderOrBigEndian_IsRejected()
    {
        foreach (var header in new[] { "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }" })
        {
            using var stream = new MemoryStream();
            stream.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0]);
            stream.Write(Encoding.Latin1.GetBytes(header));
            stream.Write(new byte[4]);
            stream.Position = 0;
            Assert.Throws<InvalidDataException>(() => NpyFile.Read(stream));
        }
    }

    [Fact]
    public void ExternalLoader_ShapesFromNpy_BuildsMapAndValidatesDimensions()
    {
        using var w = new MemoryStream();
        NpyFile.Write(w, new float[6], 3, 2);
        w.Position = 0;
        var map = ExternalMapLoader.FromNpy(NpyFile.Read(w));
        Assert.Equal((3, 2), (map.InputDimension, map.OutputDimension));

        var ex = Assert.Throws<Core.Errors.RetrievalException>(() => MapFitter.ValidateExternal(map, 3, 4));
        Assert.Equal(FieldPath.Of("external").Member("weights"), ex.Path);
    }
}

using Retrieval.Core.Formats;

namespace Retrieval.Core.Tests.Formats;

public sealed class NpyFormatTests
{
    [Fact]
    public void WriteThenRead_RoundTripsShapeAndValues()
    {
        var data = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        using var stream = new MemoryStream();
        NpyFormat.Write(stream, data, 3, 4);
        Assert.Equal(0, stream.Length % 16);
        stream.Position = 0;
        var array = NpyFormat.Read(stream);
        Assert.Equal((3, 4), (array.Rows, array.Columns));
        Assert.Equal(data, array.Data);
        Assert.Equal([2f, 2.5f, 3f, 3.5f], array.Row(1).ToArray());
    }

    [Fact]
    public void Read_Float64_IsNarrowedToFloat32()
    {
        using var stream = new MemoryStream();
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".PadRight(117) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        stream.Write([1, 0, (byte)header.Length, 0]);
        stream.Write(System.Text.Encoding.Latin1.GetBytes(header));
        stream.Write(BitConverter.GetBytes(1.5));
        stream.Write(BitConverter.GetBytes(-2.25));
        stream.Position = 0;
        var array = NpyFormat.Read(stream);
        Assert.Equal((1, 2), (array.Rows, array.Columns));
        Assert.Equal([1.5f, -2.25f], array.Data);
    }

    [Fact]
    public void Read_UnsupportedDtype_SaysWhich()
    {
        using var stream = new MemoryStream();
        var header = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }".PadRight(117) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        stream.Write([1, 0, (byte)header.Length, 0]);
        stream.Write(System.Text.Encoding.Latin1.GetBytes(header));
        stream.Write(new byte[4]);
        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => NpyFormat.Read(stream));
        Assert.Contains("<i4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fvecs_ReadsRowsAndRejectsRaggedDimensions()
    {
        using var stream = new MemoryStream();
        foreach (var row in new[] { new[] { 1f, 2f }, new[] { 3f, 4f } })
        {
            stream.Write(BitConverter.GetBytes(row.Length));
            foreach (var v in row)
            {
                stream.Write(BitConverter.GetBytes(v));
            }
        }

        stream.Position = 0;
        var array = FvecsFormat.Read(stream);
        Assert.Equal((2, 2), (array.Rows, array.Columns));
        Assert.Equal([1f, 2f, 3f, 4f], array.Data);

        stream.Write(BitConverter.GetBytes(3));
        stream.Write(new byte[12]);
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => FvecsFormat.Read(stream));
    }
}

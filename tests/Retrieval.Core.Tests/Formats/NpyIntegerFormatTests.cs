using Retrieval.Core.Formats;

namespace Retrieval.Core.Tests.Formats;

public sealed class NpyIntegerFormatTests
{
    [Fact]
    public void ReadInt32_Int32Array_ReadsValues()
    {
        using var stream = Npy("<i4", "(3,)", [.. BitConverter.GetBytes(7), .. BitConverter.GetBytes(-1), .. BitConverter.GetBytes(65924)]);
        Assert.Equal([7, -1, 65924], NpyFile.ReadInt32(stream));
    }

    [Fact]
    public void ReadInt32_Int64Array_IsNarrowedWithRangeCheck()
    {
        using var stream = Npy("<i8", "(2,)", [.. BitConverter.GetBytes(0L), .. BitConverter.GetBytes(694802L)]);
        Assert.Equal([0, 694802], NpyFile.ReadInt32(stream));

        using var tooLarge = Npy("<i8", "(1,)", BitConverter.GetBytes(1L << 40));
        Assert.Throws<InvalidDataException>(() => NpyFile.ReadInt32(tooLarge));
    }

    [Fact]
    public void ReadInt32_FloatArray_SaysWhichDtype()
    {
        using var stream = Npy("<f4", "(1,)", new byte[4]);
        var error = Assert.Throws<InvalidDataException>(() => NpyFile.ReadInt32(stream));
        Assert.Contains("<f4", error.Message, StringComparison.Ordinal);
    }

    private static MemoryStream Npy(string descr, string shape, byte[] payload)
    {
        var stream = new MemoryStream();
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".PadRight(117) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        stream.Write([1, 0, (byte)header.Length, 0]);
        stream.Write(System.Text.Encoding.Latin1.GetBytes(header));
        stream.Write(payload);
        stream.Position = 0;
        return stream;
    }
}

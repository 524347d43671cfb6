using Retrieval.Core.Formats;

namespace Retrieval.Core.Tests.Formats;

public sealed class FvecsFormatTests
{
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

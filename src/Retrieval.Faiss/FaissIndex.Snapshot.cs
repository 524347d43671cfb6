namespace Retrieval.Faiss;

public sealed partial class FaissIndex
{
    /// <summary>Writes the index (vectors, ids, trained state) to <paramref name="path"/> in Faiss's format.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Read(h =>
        {
            FaissException.ThrowIfFailed(NativeMethods.rf_index_write_file(h, path));
            return true;
        });
    }

    /// <summary>Reads an index written by <see cref="Save"/>.</summary>
    /// <exception cref="FaissException">The file is missing, truncated or not a Faiss index.</exception>
    public static FaissIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Adopt(NativeMethods.rf_index_read_file(path, out var handle), handle);
    }

    /// <summary>The index in Faiss's format, as <see cref="Save"/> would write it.</summary>
    public unsafe byte[] Serialize() => Read(static h =>
    {
        FaissException.ThrowIfFailed(NativeMethods.rf_index_serialize(h, out var buffer, out var size));
        try
        {
            return new ReadOnlySpan<byte>(buffer, checked((int)size)).ToArray();
        }
        finally
        {
            NativeMethods.rf_buffer_free(buffer);
        }
    });

    /// <summary>
    /// Bytes <see cref="Serialize"/> would return, counted without making the copy. Faiss writes each of the index's
    /// arrays (codes, ids, centroids, codebooks) once, so this is the memory the index holds, less allocator slack.
    /// </summary>
    public long SerializedSize => Read(static h =>
    {
        FaissException.ThrowIfFailed(NativeMethods.rf_index_serialized_size(h, out var bytes));
        return bytes;
    });

    /// <summary>Reads an index produced by <see cref="Serialize"/>.</summary>
    public static unsafe FaissIndex Deserialize(ReadOnlySpan<byte> data)
    {
        fixed (byte* buffer = data)
        {
            return Adopt(NativeMethods.rf_index_deserialize(buffer, (nuint)data.Length, out var handle), handle);
        }
    }
}

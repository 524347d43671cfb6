using System.Runtime.InteropServices;
using System.Text;
using Retrieval.Core.Search;

namespace Retrieval.Benchmarks.Exact;

/// <summary>
/// Seeded uniform [−1, 1) vectors, generated straight into the storage and written as .npy so that the Faiss
/// peer reads exactly the same bytes.
/// </summary>
internal static class BenchData
{
    public static FlatVectorStorage Generate(int count, int dim, ulong seed)
    {
        var storage = new FlatVectorStorage(dim, count);
        var state = seed;
        var vector = new float[dim];
        for (var r = 0; r < count; r++)
        {
            Fill(vector, ref state);
            storage.Add(vector);
        }

        return storage;
    }

    public static float[] GenerateQueries(int count, int dim, ulong seed)
    {
        var state = seed ^ 0x5DEECE66DUL;
        var queries = new float[count * dim];
        Fill(queries, ref state);
        return queries;
    }

    /// <summary>Writes rows [0, count) as a C-order float32 .npy of shape (count, dim); skipped when an identical-size file exists.</summary>
    public static void WriteNpy(string path, ReadOnlySpan<float> data, int count, int dim)
    {
        var header = NpyHeader(count, dim);
        if (File.Exists(path) && new FileInfo(path).Length == header.Length + ((long)count * dim * 4))
        {
            return;
        }

        using var file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(header);
        const int chunkRows = 16_384;
        for (var r = 0; r < count; r += chunkRows)
        {
            var rows = Math.Min(chunkRows, count - r);
            file.Write(MemoryMarshal.AsBytes(data.Slice(r * dim, rows * dim)));
        }

        file.Close();
        File.Move(path + ".tmp", path, overwrite: true);
    }

    // NPY format 1.0: magic, version, little-endian header length, then a dict padded so data starts on 64 bytes.
    private static byte[] NpyHeader(int count, int dim)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, {dim}), }}";
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        dict = dict + new string(' ', padded - total) + "\n";
        var header = new byte[10 + dict.Length];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        BitConverter.TryWriteBytes(header.AsSpan(8), (ushort)dict.Length);
        Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        return header;
    }

    // SplitMix64: fast, seedable, and the same sequence on every platform.
    private static void Fill(Span<float> values, ref ulong state)
    {
        for (var i = 0; i < values.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            values[i] = ((z >> 40) * (1.0f / (1 << 24)) * 2f) - 1f;
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using Retrieval.Benchmarks.Ann;
using Retrieval.Core.Model;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// The one data set every peer of the <c>peers</c> benchmark gets, as files in one folder, so that the pgvector script,
/// the native drivers and the load generator read the same vectors, queries and exact truth:
/// <c>meta.txt</c> (key=value: name, dimension, count, queries, k, metric = ip|l2), <c>base.f32</c> (row r has id r),
/// <c>queries.f32</c> and <c>truth.i64</c> (queries × k exact row numbers), all little-endian.
/// </summary>
internal sealed class PeerData
{
    private PeerData(string name, int dimension, bool innerProduct, int k, float[] vectors, float[] queries, long[] truth)
    {
        Name = name;
        Dimension = dimension;
        InnerProduct = innerProduct;
        K = k;
        Vectors = vectors;
        Queries = queries;
        Truth = truth;
    }

    public string Name { get; }

    public int Dimension { get; }

    /// <summary>True: unit vectors ranked by inner product (= cosine); false: L2.</summary>
    public bool InnerProduct { get; }

    public int K { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public long[] Truth { get; }

    public int Count => Vectors.Length / Dimension;

    public int QueryCount => Queries.Length / Dimension;

    public ReadOnlySpan<float> Vector(int row) => Vectors.AsSpan(row * Dimension, Dimension);

    public ReadOnlySpan<float> Query(int q) => Queries.AsSpan(q * Dimension, Dimension);

    /// <summary>How many of <paramref name="rows"/> (one query's answer) are in that query's exact top k.</summary>
    public int Hits(int q, ReadOnlySpan<long> rows)
    {
        var truth = Truth.AsSpan(q * K, K);
        var hits = 0;
        foreach (var row in rows)
        {
            if (row >= 0 && truth.Contains(row))
            {
                hits++;
            }
        }

        return hits;
    }

    /// <summary>
    /// Writes <paramref name="data"/> (its truth computed by Core's exact search) to <paramref name="folder"/>. Cosine
    /// data must be unit vectors (the real sets are), so that every peer may rank by inner product, which ranks as
    /// cosine does and is what the truth was computed with.
    /// </summary>
    public static void Export(AnnDataset data, string folder)
    {
        var cosine = data.Metric != Metric.L2;
        var vectors = data.Vectors;
        var queries = data.Queries;
        if (cosine)
        {
            RequireUnitRows(vectors, data.Dimension, "base vectors");
            RequireUnitRows(queries, data.Dimension, "queries");
        }

        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "base.f32"), MemoryMarshal.AsBytes(vectors.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "queries.f32"), MemoryMarshal.AsBytes(queries.AsSpan()).ToArray());
        var k = data.Truth[0].Length;
        var truth = data.Truth.SelectMany(t => t.Length == k ? t : throw new InvalidOperationException("every query needs k truth rows")).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "truth.i64"), MemoryMarshal.AsBytes(truth.AsSpan()).ToArray());
        File.WriteAllLines(Path.Combine(folder, "meta.txt"),
        [
            $"name={data.Name}",
            Inv($"dimension={data.Dimension}"),
            Inv($"count={data.Count}"),
            Inv($"queries={data.QueryCount}"),
            Inv($"k={k}"),
            $"metric={(cosine ? "ip" : "l2")}",
        ]);
    }

    public static PeerData Read(string folder)
    {
        var metaPath = Path.Combine(folder, "meta.txt");
        if (!File.Exists(metaPath))
        {
            throw new FileNotFoundException($"{metaPath} is missing: write the folder with `peers export`", metaPath);
        }

        var meta = File.ReadAllLines(metaPath).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        int Number(string key) => meta.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : throw new InvalidDataException($"{metaPath} has no {key}");
        var dimension = Number("dimension");
        var count = Number("count");
        var queries = Number("queries");
        var k = Number("k");
        var metric = meta.GetValueOrDefault("metric");
        if (metric is not ("ip" or "l2"))
        {
            throw new InvalidDataException($"{metaPath}: metric must be ip or l2, got '{metric}'");
        }

        return new PeerData(
            meta.GetValueOrDefault("name") ?? Path.GetFileName(folder), dimension, metric == "ip", k,
            ReadArray<float>(Path.Combine(folder, "base.f32"), (long)count * dimension),
            ReadArray<float>(Path.Combine(folder, "queries.f32"), (long)queries * dimension),
            ReadArray<long>(Path.Combine(folder, "truth.i64"), (long)queries * k));
    }

    private static T[] ReadArray<T>(string path, long expected)
        where T : unmanaged
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.LongLength != expected * Marshal.SizeOf<T>())
        {
            throw new InvalidDataException($"{path}: {bytes.LongLength} bytes, expected {expected * Marshal.SizeOf<T>()} (meta.txt disagrees with the file)");
        }

        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private static void RequireUnitRows(float[] rows, int dimension, string what)
    {
        for (var start = 0; start < rows.Length; start += dimension)
        {
            var row = rows.AsSpan(start, dimension);
            var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
            if (MathF.Abs(norm - 1f) > 1e-3f)
            {
                throw new InvalidDataException(Inv($"{what}: row {start / dimension} has norm {norm}; cosine data must be unit vectors for the peers' inner product"));
            }
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

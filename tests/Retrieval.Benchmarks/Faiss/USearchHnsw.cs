using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace Retrieval.Benchmarks.Faiss;

/// <summary>
/// HNSW through the NuGet package Cloud.Unum.USearch with Faiss-equivalent settings (M = connectivity 32,
/// efConstruction = expansion_add 40). The package's C# class (2.26.6) cannot reserve capacity for
/// parallel adds, size its thread slots, nor change expansion_search after construction, so this benchmark calls those three
/// functions of the package's own libusearch_c directly on the class's native pointer. A production
/// binding would wrap libusearch_c itself, as Retrieval.Faiss wraps Faiss.
/// </summary>
internal static partial class USearchHnsw
{
    public static (double BuildSeconds, List<HnswMeasurement> Points) Run(BenchmarkData data, int k, IReadOnlyList<int> efs)
    {
        using var index = new USearchIndex(MetricKind.L2sq, ScalarKind.Float32, (ulong)data.Dimension, connectivity: 32, expansionAdd: 40);
        var native = (nint)typeof(USearchIndex).GetField("_index", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(index)!;
        // Concurrent adds need capacity and one thread slot per concurrent caller, reserved up front.
        var threads = Environment.ProcessorCount;
        usearch_reserve(native, (nuint)data.Count, out var error);
        Check(error);
        usearch_change_threads_add(native, (nuint)threads, out error);
        Check(error);

        var rows = Enumerable.Range(0, data.Count).Select(r => data.Vectors.AsSpan(r * data.Dimension, data.Dimension).ToArray()).ToArray();
        var watch = Stopwatch.StartNew();
        Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, r => index.Add((ulong)r, rows[r]));
        var buildSeconds = watch.Elapsed.TotalSeconds;

        var queries = Enumerable.Range(0, data.QueryCount).Select(q => data.Queries.AsSpan(q * data.Dimension, data.Dimension).ToArray()).ToArray();
        var hitIds = new long[data.QueryCount * k];
        var points = new List<HnswMeasurement>();
        foreach (var ef in efs)
        {
            usearch_change_expansion_search(native, (nuint)ef, out error);
            Check(error);
            var seconds = FaissBindingHnsw.BestOf(2, () =>
            {
                for (var q = 0; q < queries.Length; q++)
                {
                    var found = index.Search(queries[q], k, out var keys, out _);
                    for (var i = 0; i < k; i++)
                    {
                        hitIds[(q * k) + i] = i < found ? (long)keys[i] : -1;
                    }
                }
            });
            points.Add(new HnswMeasurement("usearch-nuget", "single-1thr", ef, data.Recall(hitIds, k), data.QueryCount / seconds));
        }

        return (buildSeconds, points);
    }

    private static void Check(nint error)
    {
        // usearch_error_t is a static string: not freed.
        if (error != 0)
        {
            throw new InvalidOperationException(Marshal.PtrToStringUTF8(error));
        }
    }

    [LibraryImport("libusearch_c")]
    private static partial void usearch_reserve(nint index, nuint capacity, out nint error);

    [LibraryImport("libusearch_c")]
    private static partial void usearch_change_threads_add(nint index, nuint threads, out nint error);

    [LibraryImport("libusearch_c")]
    private static partial void usearch_change_expansion_search(nint index, nuint expansion, out nint error);
}

using System.Runtime.InteropServices;

namespace Retrieval.USearch;

/// <summary>
/// One-to-one mirror of the parts of USearch's C header (<c>c/usearch.h</c>, 2.x) this binding uses. The library is the
/// <c>libusearch_c</c> shipped in the Cloud.Unum.USearch NuGet package. Every function reports failure through its
/// last argument: a pointer to a static message (never freed), or null on success.
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Library = "libusearch_c";

    public const int MetricCos = 1;
    public const int MetricIp = 2;
    public const int MetricL2sq = 3;

    public const int ScalarF32 = 1;
    public const int ScalarF16 = 3;
    public const int ScalarI8 = 4;

    /// <summary><c>usearch_init_options_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InitOptions
    {
        public int MetricKind;
        public nint Metric;
        public int Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        [MarshalAs(UnmanagedType.U1)]
        public bool Multi;
    }

    [LibraryImport(Library)]
    public static partial nint usearch_init(InitOptions* options, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_free(nint index, out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_size(UsearchIndexHandle index, out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_dimensions(UsearchIndexHandle index, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_reserve(UsearchIndexHandle index, nuint capacity, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_change_threads_add(UsearchIndexHandle index, nuint threads, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_change_threads_search(UsearchIndexHandle index, nuint threads, out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_expansion_add(UsearchIndexHandle index, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_change_expansion_add(UsearchIndexHandle index, nuint expansion, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_change_expansion_search(UsearchIndexHandle index, nuint expansion, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_add(UsearchIndexHandle index, ulong key, float* vector, int vectorKind, out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_search(
        UsearchIndexHandle index, float* query, int queryKind, nuint count, ulong* keys, float* distances, out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_filtered_search(
        UsearchIndexHandle index,
        float* query,
        int queryKind,
        nuint count,
        delegate* unmanaged<ulong, void*, int> filter,
        void* filterState,
        ulong* keys,
        float* distances,
        out nint error);

    [LibraryImport(Library)]
    public static partial nuint usearch_serialized_length(UsearchIndexHandle index, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_save_buffer(UsearchIndexHandle index, byte* buffer, nuint length, out nint error);

    [LibraryImport(Library)]
    public static partial void usearch_load_buffer(UsearchIndexHandle index, byte* buffer, nuint length, out nint error);
}

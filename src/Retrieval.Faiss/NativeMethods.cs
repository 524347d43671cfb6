using System.Runtime.InteropServices;

namespace Retrieval.Faiss;

/// <summary>
/// P/Invoke declarations mirroring <c>native/include/retrieval_faiss.h</c> one-to-one: same names,
/// same order, same types. Change both together. Nothing here throws for native failures; callers
/// check the return code with <see cref="FaissException.ThrowIfFailed"/>.
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Library = "retrieval_faiss";

    internal const int RF_OK = 0;
    internal const int RF_ERR_UNKNOWN = -1;
    internal const int RF_ERR_FAISS = -2;
    internal const int RF_ERR_OUT_OF_MEMORY = -3;
    internal const int RF_ERR_STD = -4;
    internal const int RF_ERR_INVALID_ARGUMENT = -5;

    internal const int RF_METRIC_INNER_PRODUCT = 0;
    internal const int RF_METRIC_L2 = 1;

    /// <summary>Mirror of <c>rf_search_params</c>; zero means "index default, no filter".</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RfSearchParams
    {
        public int EfSearch;
        public int NProbe;
        public byte* FilterBitmap;
        public long FilterBitmapBytes;
        public long* FilterIds;
        public long FilterIdCount;
        public int NumThreads;
    }

    // Returns a pointer into thread-local native storage: it must not be freed by the marshaller,
    // hence nint rather than string.
    [LibraryImport(Library, EntryPoint = "rf_last_error")]
    internal static partial nint rf_last_error();

    [LibraryImport(Library, EntryPoint = "rf_faiss_version")]
    internal static partial nint rf_faiss_version();

    [LibraryImport(Library, EntryPoint = "rf_set_num_threads")]
    internal static partial int rf_set_num_threads(int threads);

    [LibraryImport(Library, EntryPoint = "rf_get_num_threads")]
    internal static partial int rf_get_num_threads();

    [LibraryImport(Library, EntryPoint = "rf_set_thread_num_threads")]
    internal static partial int rf_set_thread_num_threads(int threads);

    [LibraryImport(Library, EntryPoint = "rf_get_thread_num_threads")]
    internal static partial int rf_get_thread_num_threads();

    [LibraryImport(Library, EntryPoint = "rf_index_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rf_index_create(string factory, int dimension, int metric, out FaissIndexHandle index);

    // Takes the raw pointer: called only from FaissIndexHandle.ReleaseHandle.
    [LibraryImport(Library, EntryPoint = "rf_index_free")]
    internal static partial void rf_index_free(nint index);

    [LibraryImport(Library, EntryPoint = "rf_index_dimension")]
    internal static partial int rf_index_dimension(FaissIndexHandle index, out int dimension);

    [LibraryImport(Library, EntryPoint = "rf_index_metric")]
    internal static partial int rf_index_metric(FaissIndexHandle index, out int metric);

    [LibraryImport(Library, EntryPoint = "rf_index_is_trained")]
    internal static partial int rf_index_is_trained(FaissIndexHandle index, out int isTrained);

    [LibraryImport(Library, EntryPoint = "rf_index_ntotal")]
    internal static partial int rf_index_ntotal(FaissIndexHandle index, out long ntotal);

    [LibraryImport(Library, EntryPoint = "rf_index_serialized_size")]
    internal static partial int rf_index_serialized_size(FaissIndexHandle index, out long bytes);

    [LibraryImport(Library, EntryPoint = "rf_index_hnsw_ef_search")]
    internal static partial int rf_index_hnsw_ef_search(FaissIndexHandle index, out int efSearch);

    [LibraryImport(Library, EntryPoint = "rf_index_set_hnsw_ef_search")]
    internal static partial int rf_index_set_hnsw_ef_search(FaissIndexHandle index, int efSearch);

    [LibraryImport(Library, EntryPoint = "rf_index_train")]
    internal static partial int rf_index_train(FaissIndexHandle index, long n, float* x);

    [LibraryImport(Library, EntryPoint = "rf_index_add_with_ids")]
    internal static partial int rf_index_add_with_ids(FaissIndexHandle index, long n, float* x, long* ids);

    [LibraryImport(Library, EntryPoint = "rf_index_remove_ids")]
    internal static partial int rf_index_remove_ids(FaissIndexHandle index, long n, long* ids, out long removed);

    [LibraryImport(Library, EntryPoint = "rf_index_search")]
    internal static partial int rf_index_search(
        FaissIndexHandle index, long n, float* x, long k, RfSearchParams* parameters, float* distances, long* labels);

    [LibraryImport(Library, EntryPoint = "rf_index_write_file", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rf_index_write_file(FaissIndexHandle index, string path);

    [LibraryImport(Library, EntryPoint = "rf_index_read_file", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rf_index_read_file(string path, out FaissIndexHandle index);

    [LibraryImport(Library, EntryPoint = "rf_index_serialize")]
    internal static partial int rf_index_serialize(FaissIndexHandle index, out byte* buffer, out nuint size);

    [LibraryImport(Library, EntryPoint = "rf_buffer_free")]
    internal static partial void rf_buffer_free(byte* buffer);

    [LibraryImport(Library, EntryPoint = "rf_index_deserialize")]
    internal static partial int rf_index_deserialize(byte* buffer, nuint size, out FaissIndexHandle index);
}

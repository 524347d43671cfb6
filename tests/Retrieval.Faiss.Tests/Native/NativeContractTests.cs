using System.Runtime.InteropServices;

namespace Retrieval.Faiss.Tests.Native;

/// <summary>
/// The C ABI itself (retrieval_faiss.h), called through <see cref="NativeMethods"/> with no managed
/// wrapper in between: return codes, the thread-local last error, argument checks.
/// </summary>
public sealed unsafe class NativeContractTests
{
    private static string LastError() => Marshal.PtrToStringUTF8(NativeMethods.rf_last_error()) ?? string.Empty;

    [Fact]
    public void FaissVersion_Always_IsDebians173()
    {
        Assert.Equal("1.7.3", Marshal.PtrToStringUTF8(NativeMethods.rf_faiss_version()));
    }

    [Fact]
    public void Create_ValidFactory_ReturnsOkAndHandle()
    {
        var code = NativeMethods.rf_index_create("Flat", 8, NativeMethods.RF_METRIC_L2, out var handle);
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_OK, code);
            Assert.False(handle.IsInvalid);
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_ntotal(handle, out var ntotal));
            Assert.Equal(0, ntotal);
        }
    }

    [Fact]
    public void Create_BadFactory_ReturnsFaissErrorWithFaissMessage()
    {
        var code = NativeMethods.rf_index_create("NoSuchIndex42", 8, NativeMethods.RF_METRIC_L2, out var handle);
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_ERR_FAISS, code);
            Assert.True(handle.IsInvalid);
            Assert.Contains("could not parse", LastError(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Create_UnknownMetric_ReturnsInvalidArgument()
    {
        var code = NativeMethods.rf_index_create("Flat", 8, 7, out var handle);
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, code);
            Assert.Contains("metric", LastError(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Ntotal_NullHandle_ReturnsInvalidArgument()
    {
        // A never-set handle marshals as a null rf_index*.
        using var nullHandle = new FaissIndexHandle();

        Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, NativeMethods.rf_index_ntotal(nullHandle, out _));
        Assert.Contains("must not be null", LastError(), StringComparison.Ordinal);
    }

    [Fact]
    public void Search_NullHandle_ReturnsInvalidArgument()
    {
        using var nullHandle = new FaissIndexHandle();
        var query = stackalloc float[4];
        var distances = stackalloc float[1];
        var labels = stackalloc long[1];

        Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, NativeMethods.rf_index_search(nullHandle, 1, query, 1, null, distances, labels));
    }

    [Fact]
    public void Search_BothFilters_ReturnsInvalidArgument()
    {
        Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_create("Flat", 4, NativeMethods.RF_METRIC_L2, out var handle));
        using (handle)
        {
            var query = stackalloc float[4];
            var distances = stackalloc float[1];
            var labels = stackalloc long[1];
            var bitmap = stackalloc byte[1];
            var ids = stackalloc long[1];
            var parameters = new NativeMethods.RfSearchParams { FilterBitmap = bitmap, FilterBitmapBytes = 1, FilterIds = ids, FilterIdCount = 1 };

            Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, NativeMethods.rf_index_search(handle, 1, query, 1, &parameters, distances, labels));
            Assert.Contains("not both", LastError(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Search_EmptyIndex_ReturnsMinusOneLabels()
    {
        Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_create("HNSW8", 4, NativeMethods.RF_METRIC_L2, out var handle));
        using (handle)
        {
            var query = stackalloc float[4];
            var distances = stackalloc float[2];
            var labels = stackalloc long[2];

            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_search(handle, 1, query, 2, null, distances, labels));
            Assert.Equal(-1, labels[0]);
            Assert.Equal(-1, labels[1]);
        }
    }

    [Fact]
    public void Add_UntrainedIvf_ReturnsFaissError()
    {
        Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_create("IVF4,Flat", 4, NativeMethods.RF_METRIC_L2, out var handle));
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_is_trained(handle, out var trained));
            Assert.Equal(0, trained);
            var x = stackalloc float[4];
            var ids = stackalloc long[1];

            Assert.Equal(NativeMethods.RF_ERR_FAISS, NativeMethods.rf_index_add_with_ids(handle, 1, x, ids));
            Assert.Contains("is_trained", LastError(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadFile_MissingFile_ReturnsFaissError()
    {
        var code = NativeMethods.rf_index_read_file("/nonexistent/dir/index.faiss", out var handle);
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_ERR_FAISS, code);
            Assert.True(handle.IsInvalid);
            Assert.NotEmpty(LastError());
        }
    }

    [Fact]
    public void Deserialize_Garbage_ReturnsFaissError()
    {
        var garbage = stackalloc byte[16];
        new Span<byte>(garbage, 16).Fill(0x5a);

        var code = NativeMethods.rf_index_deserialize(garbage, 16, out var handle);
        using (handle)
        {
            Assert.Equal(NativeMethods.RF_ERR_FAISS, code);
        }
    }

    [Fact]
    public void LastError_AfterFailureOnAnotherThread_IsNotVisibleHere()
    {
        var thisThreadBefore = LastError();
        var otherCode = NativeMethods.RF_OK;
        var otherError = string.Empty;
        var otherThread = new Thread(() =>
        {
            otherCode = NativeMethods.rf_index_create("NoSuchIndex", 8, NativeMethods.RF_METRIC_L2, out var handle);
            otherError = LastError();
            handle.Dispose();
        });
        otherThread.Start();
        otherThread.Join();

        Assert.Equal(NativeMethods.RF_ERR_FAISS, otherCode);
        Assert.Contains("NoSuchIndex", otherError, StringComparison.Ordinal);
        Assert.Equal(thisThreadBefore, LastError());
    }

    [Fact]
    public void NumThreads_SetAndReset_RoundTrips()
    {
        var defaultThreads = NativeMethods.rf_get_num_threads();
        try
        {
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_set_num_threads(1));
            Assert.Equal(1, NativeMethods.rf_get_num_threads());
            Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, NativeMethods.rf_set_num_threads(-1));
        }
        finally
        {
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_set_num_threads(0));
        }

        Assert.Equal(defaultThreads, NativeMethods.rf_get_num_threads());
    }

    [Fact]
    public void HnswEfSearch_HnswAndFlat_ReadsAndSetsIndexLevelValue()
    {
        Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_create("HNSW16", 4, NativeMethods.RF_METRIC_L2, out var hnsw));
        Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_create("Flat", 4, NativeMethods.RF_METRIC_L2, out var flat));
        using (hnsw)
        using (flat)
        {
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_hnsw_ef_search(hnsw, out var defaultEf));
            Assert.Equal(16, defaultEf);
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_set_hnsw_ef_search(hnsw, 77));
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_hnsw_ef_search(hnsw, out var ef));
            Assert.Equal(77, ef);
            Assert.Equal(NativeMethods.RF_ERR_INVALID_ARGUMENT, NativeMethods.rf_index_set_hnsw_ef_search(hnsw, 0));

            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_hnsw_ef_search(flat, out var flatEf));
            Assert.Equal(0, flatEf);
            Assert.Equal(NativeMethods.RF_OK, NativeMethods.rf_index_set_hnsw_ef_search(flat, 32));
        }
    }
}

using System.Runtime.InteropServices;

namespace Retrieval.Faiss;

/// <summary>Process-wide settings of the native Faiss library.</summary>
public static class FaissRuntime
{
    /// <summary>The Faiss version the shim was compiled against, e.g. "1.7.3".</summary>
    public static string FaissVersion => Marshal.PtrToStringUTF8(NativeMethods.rf_faiss_version()) ?? string.Empty;

    /// <summary>
    /// OpenMP threads each Faiss call may use (training, adding, a batch of queries). Default: OpenMP's
    /// (OMP_NUM_THREADS or the core count); setting 0 restores it. Lower it when many managed threads
    /// search at once, so that each query does not fan out over every core.
    /// </summary>
    public static int ThreadCount
    {
        get => NativeMethods.rf_get_num_threads();
        set => FaissException.ThrowIfFailed(NativeMethods.rf_set_num_threads(value));
    }
}

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

    [ThreadStatic]
    private static int t_threads;

    /// <summary>The OpenMP threads of Faiss calls made on the calling thread: its <see cref="UseThreadsOnThisThread"/> setting, else <see cref="ThreadCount"/>.</summary>
    public static int ThreadCountOnThisThread => NativeMethods.rf_get_thread_num_threads();

    /// <summary>
    /// Until the returned scope is disposed, Faiss calls made on the calling thread (train, add, remove, and searches
    /// that name no <see cref="FaissSearchParameters.Threads"/>) use <paramref name="threads"/> OpenMP threads instead
    /// of <see cref="ThreadCount"/>: an index build can use every core while searches elsewhere stay on one thread.
    /// Synchronous code only (the setting belongs to the OS thread); scopes nest.
    /// </summary>
    public static ThreadScope UseThreadsOnThisThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var previous = t_threads;
        Set(threads);
        return new ThreadScope(previous);
    }

    private static void Set(int threads)
    {
        FaissException.ThrowIfFailed(NativeMethods.rf_set_thread_num_threads(threads));
        t_threads = threads;
    }

    /// <summary>Restores the calling thread's previous setting when disposed.</summary>
    public readonly struct ThreadScope : IDisposable
    {
        private readonly int _previous;

        internal ThreadScope(int previous) => _previous = previous;

        public void Dispose() => Set(_previous);
    }
}

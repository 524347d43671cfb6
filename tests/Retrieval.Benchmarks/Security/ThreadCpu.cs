using System.Runtime.InteropServices;

namespace Retrieval.Benchmarks.Security;

/// <summary>CPU time (user + system) of the calling thread, from getrusage(RUSAGE_THREAD): microsecond resolution on Linux.</summary>
internal static partial class ThreadCpu
{
    private const int RusageThread = 1;

    public static double Nanoseconds()
    {
        if (GetRusage(RusageThread, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return ((usage.UserSeconds + usage.SystemSeconds) * 1e9) + ((usage.UserMicroseconds + usage.SystemMicroseconds) * 1e3);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        private readonly long _maxrss, _ixrss, _idrss, _isrss, _minflt, _majflt, _nswap, _inblock, _oublock, _msgsnd, _msgrcv, _nsignals, _nvcsw, _nivcsw;
    }
}

using System.Runtime.InteropServices;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// CPU time (user + system) of this whole process, or of the calling thread, from getrusage, at microsecond resolution: Process.TotalProcessorTime
/// reads /proc in 10 ms clock ticks, coarser than one MiniLM request. The in-process server and the raw peer share the
/// process, so a delta taken around one side's request is that side's CPU (plus whatever the other side's idle ORT
/// threads still spin, which both sides pay alike).
/// </summary>
internal static partial class ProcessCpu
{
    private const int RusageSelf = 0;
    private const int RusageThread = 1;

    /// <summary>CPU time of the whole process, in milliseconds.</summary>
    public static double Milliseconds() => Nanoseconds(RusageSelf) / 1e6;

    /// <summary>CPU time of the calling thread (RUSAGE_THREAD), in nanoseconds.</summary>
    public static double ThreadNanoseconds() => Nanoseconds(RusageThread);

    private static double Nanoseconds(int who)
    {
        if (GetRusage(who, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return ((usage.UserSeconds + usage.SystemSeconds) * 1e9) + ((usage.UserMicroseconds + usage.SystemMicroseconds) * 1e3);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs this class does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public unsafe fixed long Rest[14];
    }
}

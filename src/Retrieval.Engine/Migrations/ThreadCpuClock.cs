using System.Runtime.InteropServices;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// CPU time (user + system) of the calling thread, from getrusage(RUSAGE_THREAD) on Linux, at microsecond resolution, so a
/// cost measured around one piece of work is that work's CPU and not the whole server's. Elsewhere it reads
/// <see cref="TimeSpan.Zero"/> and <see cref="IsAvailable"/> is false (the report then shows wall time only).
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int RusageThread = 1;

    /// <summary>Whether thread CPU time can be read on this platform.</summary>
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux();

    /// <summary>The calling thread's CPU time so far (zero where unavailable).</summary>
    public static TimeSpan Now()
    {
        if (!IsAvailable)
        {
            return TimeSpan.Zero;
        }

        if (GetRusage(RusageThread, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage(RUSAGE_THREAD) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return TimeSpan.FromMicroseconds(((usage.UserSeconds + usage.SystemSeconds) * 1_000_000d) + usage.UserMicroseconds + usage.SystemMicroseconds);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs not read here (144 bytes in all).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
    }
}

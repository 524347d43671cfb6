using System.Globalization;
using System.Runtime.InteropServices;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// A server process and its children as /proc shows them (Linux): PostgreSQL answers each connection from its own
/// backend process, so its CPU time and its priority are those of the postmaster's whole tree.
/// </summary>
internal static partial class ProcessTree
{
    private static readonly long ClockTicksPerSecond = SysConf(ScClkTck) is var ticks and > 0 ? ticks : 100;

    /// <summary>The process and its live children (one level: PostgreSQL backends are the postmaster's children).</summary>
    public static IReadOnlyList<int> WithChildren(int pid)
    {
        var result = new List<int> { pid };
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && TryReadStat(child, out var fields) && long.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
            {
                result.Add(child);
            }
        }

        return result;
    }

    /// <summary>
    /// User + system CPU milliseconds of the process, its live children, and the children it has already reaped (a
    /// backend that ended still counts).
    /// </summary>
    public static double CpuMilliseconds(int pid)
    {
        var ticks = 0L;
        foreach (var member in WithChildren(pid))
        {
            if (TryReadStat(member, out var fields))
            {
                // Fields after "(comm)": state=0, ppid=1, …, utime=11, stime=12, cutime=13, cstime=14.
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                if (member == pid)
                {
                    ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                }
            }
        }

        return ticks * 1000.0 / ClockTicksPerSecond;
    }

    /// <summary>
    /// Sets the nice value of every thread of the process and of its children (Linux applies setpriority to one
    /// thread; threads and children created later inherit it from their creator).
    /// </summary>
    public static void Renice(int pid, int nice)
    {
        foreach (var member in WithChildren(pid))
        {
            var tasks = $"/proc/{member}/task";
            if (!Directory.Exists(tasks))
            {
                continue;
            }

            foreach (var task in Directory.EnumerateDirectories(tasks))
            {
                var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                if (SetPriority(PrioProcess, tid, nice) != 0 && Directory.Exists(task))
                {
                    throw new InvalidOperationException($"setpriority({tid}, {nice}) failed with errno {Marshal.GetLastPInvokeError()} (a negative nice value needs root)");
                }
            }
        }
    }

    /// <summary>The nice value of the process's main thread (from /proc).</summary>
    public static int Nice(int pid) =>
        TryReadStat(pid, out var fields) ? int.Parse(fields[16], CultureInfo.InvariantCulture) : throw new InvalidOperationException($"process {pid} is gone");

    private static bool TryReadStat(int pid, out string[] fields)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            // The process ended between listing and reading.
            fields = [];
            return false;
        }
    }

    private const int ScClkTck = 2;
    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}

/// <summary>
/// An exclusive flock(2) on a lock file (the machine's quiet lock), held while the peers are measured, so that no
/// shared-lock build or test runs in the timed window; the data loads and graph builds happen before it is taken.
/// </summary>
internal sealed partial class ExclusiveFileLock : IDisposable
{
    private readonly FileStream _file;

    private ExclusiveFileLock(FileStream file) => _file = file;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the lock (polling: shared holders come and go, and flock gives an
    /// exclusive waiter no priority over them); null if it could not be had in time.
    /// </summary>
    public static ExclusiveFileLock? TryAcquire(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var file = Open(path, deadline);
        if (file is null)
        {
            return null;
        }

        var fd = file.SafeFileHandle.DangerousGetHandle().ToInt32();
        while (true)
        {
            if (Flock(fd, LockEx | LockNb) == 0)
            {
                return new ExclusiveFileLock(file);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EWouldBlock)
            {
                file.Dispose();
                throw new IOException($"flock({path}, LOCK_EX) failed with errno {errno}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                file.Dispose();
                return null;
            }

            Thread.Sleep(20);
        }
    }

    // .NET takes a shared flock of its own when it opens a file, which fails while another process holds the exclusive
    // quiet lock: the open is retried like the lock itself.
    private static FileStream? Open(string path, DateTime deadline)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public void Dispose()
    {
        // Closing the descriptor releases the lock.
        _file.Dispose();
    }

    private const int LockEx = 2;
    private const int LockNb = 4;
    private const int EWouldBlock = 11;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}

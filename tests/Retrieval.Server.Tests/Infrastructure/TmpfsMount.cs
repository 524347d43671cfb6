using System.Diagnostics;
using System.Globalization;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// A size-limited tmpfs mounted on a fresh directory, so a test can fill a real file system to ENOSPC. Needs root
/// (CI runs as root); <see cref="UnavailableReason"/> says why a test must skip otherwise. Disposing unmounts it (lazily
/// if a process still holds it) and removes the directory.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private const string BallastName = "ballast";

    private TmpfsMount(string path) => Path = path;

    /// <summary>Null when a tmpfs can be mounted here; otherwise why not.</summary>
    public static string? UnavailableReason { get; } = FindUnavailableReason();

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Bytes still free on the file system.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public static TmpfsMount Create(long bytes)
    {
        var path = Directory.CreateTempSubdirectory("retrieval-tmpfs-").FullName;
        var result = Run("mount", "-t", "tmpfs", "-o", $"size={bytes.ToString(CultureInfo.InvariantCulture)},mode=0755", "tmpfs", path);
        if (result.ExitCode != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"mount -t tmpfs failed ({result.ExitCode}): {result.Output}");
        }

        return new TmpfsMount(path);
    }

    /// <summary>
    /// Writes a ballast file of real bytes (tmpfs holds them in memory; a sparse file would take nothing) so that about
    /// <paramref name="leaveFree"/> bytes stay free, at most <paramref name="maxBytes"/> of ballast.
    /// </summary>
    public void AddBallast(long leaveFree, long maxBytes = long.MaxValue)
    {
        var size = Math.Min(maxBytes, FreeBytes - leaveFree);
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)0xA5);
        using var file = new FileStream(System.IO.Path.Combine(Path, BallastName), FileMode.Append, FileAccess.Write);
        for (long written = 0; written < size; written += chunk.Length)
        {
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, size - written));
        }
    }

    /// <summary>Frees the space the ballast held.</summary>
    public void RemoveBallast() => File.Delete(System.IO.Path.Combine(Path, BallastName));

    public void Dispose()
    {
        if (Run("umount", Path).ExitCode != 0)
        {
            // A process that has not let go yet (a killed child's last handles): detach now, freed when released.
            var lazy = Run("umount", "-l", Path);
            Assert.True(lazy.ExitCode == 0, $"umount -l {Path} failed: {lazy.Output}");
        }

        Directory.Delete(Path, recursive: true);
    }

    private static string? FindUnavailableReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a size-limited tmpfs needs Linux";
        }

        var id = Run("id", "-u");
        return id.ExitCode == 0 && id.Output.Trim() == "0"
            ? null
            : "mounting a size-limited tmpfs needs root (CI runs as root); run as root to test a full disk";
    }

    private static (int ExitCode, string Output) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }
}

namespace Retrieval.Engine.Backups;

/// <summary>Collection snapshots (backups), bound from the <c>Retrieval:Backups</c> configuration section.</summary>
public sealed class BackupOptions
{
    /// <summary>
    /// Where collection snapshots are kept: one folder per collection, one <c>.tar</c> archive per snapshot. Default
    /// (set by the server) <c>{DataDirectory}/backups</c>; null or empty turns snapshot operations off (FAILED_PRECONDITION).
    /// Put it on another disk than the data directory to survive the loss of that disk.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Largest archive a restore accepts as an upload, in bytes. Default 64 GiB.</summary>
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024 * 1024;
}

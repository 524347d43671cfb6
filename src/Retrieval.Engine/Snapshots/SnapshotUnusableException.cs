namespace Retrieval.Engine.Snapshots;

/// <summary>A snapshot that must not be loaded; the message says why (corrupt or stale) for the log.</summary>
internal sealed class SnapshotUnusableException : Exception
{
    public SnapshotUnusableException()
    {
    }

    public SnapshotUnusableException(string message)
        : base(message)
    {
    }

    public SnapshotUnusableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

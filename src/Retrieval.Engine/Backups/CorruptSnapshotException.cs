namespace Retrieval.Engine.Backups;

/// <summary>A snapshot archive that is not whole or not what its manifest says: the message says which part and how.</summary>
internal sealed class CorruptSnapshotException : Exception
{
    public CorruptSnapshotException(string message)
        : base(message)
    {
    }

    public CorruptSnapshotException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The exceptions a damaged tar, JSON or base64 text raises while being read.</summary>
    public static bool IsDamage(Exception e) =>
        e is EndOfStreamException or InvalidDataException or FormatException or System.Text.Json.JsonException or ArgumentException or NotSupportedException or OverflowException;
}

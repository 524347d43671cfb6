namespace Retrieval.Core.Storage;

/// <summary>What a store knows about a write it could not finish because its database could not be reached.</summary>
public enum StoreWriteOutcome
{
    /// <summary>Nothing of the batch reached the database (no connection could be opened, or the engine could not first
    /// read the store's state): it is not committed and never will be.</summary>
    NotCommitted,

    /// <summary>The batch was sent and the connection was lost before the answer came: the database may have committed it
    /// (a commit that was flushed just before the connection dropped) or not. Only reading the store later tells.</summary>
    Unknown,
}

/// <summary>
/// The store of record could not be reached during a write (connection refused or lost, the database shutting down, a
/// timeout). Transports answer it UNAVAILABLE; <see cref="Outcome"/> says whether the batch may have committed anyway.
/// </summary>
public sealed class StoreUnavailableException(string message, StoreWriteOutcome outcome, Exception innerException)
    : Exception(message, innerException)
{
    /// <summary>Whether the batch may have committed.</summary>
    public StoreWriteOutcome Outcome { get; } = outcome;
}

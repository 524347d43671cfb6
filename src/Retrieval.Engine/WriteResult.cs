namespace Retrieval.Engine;

/// <summary>An acknowledged write: how many items it touched and the sequence number of its batch.</summary>
public sealed record WriteResult(long Count, long Sequence);

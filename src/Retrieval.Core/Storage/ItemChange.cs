namespace Retrieval.Core.Storage;

/// <summary>
/// One entry of a change feed: either the current full state of an item written after a sequence number
/// (<see cref="Item"/> set) or the deletion of an item (<see cref="Item"/> null).
/// </summary>
/// <remarks>
/// <see cref="Shard"/> is the shard the store recorded for the id when it was written (<see cref="WriteBatch.Shards"/>);
/// an import writes it as given, so whoever builds changes for an import sets it.
/// </remarks>
public sealed record ItemChange(string Id, long Sequence, StoredItem? Item)
{
    /// <summary>The id's shard, as the store recorded it (0 in a one-shard collection).</summary>
    public int Shard { get; init; }

    public bool IsDelete => Item is null;
}

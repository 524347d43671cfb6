namespace Retrieval.Core.Storage;

/// <summary>
/// One entry of a change feed: either the current full state of an item written after a sequence number
/// (<see cref="Item"/> set) or the deletion of an item (<see cref="Item"/> null).
/// </summary>
public sealed record ItemChange(string Id, long Sequence, StoredItem? Item)
{
    public bool IsDelete => Item is null;
}

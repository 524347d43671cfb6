namespace Retrieval.Engine;

/// <summary>One page of a scroll; <see cref="NextCursor"/> is null when there are no more items.</summary>
public sealed record ScrollPage(IReadOnlyList<ItemView> Items, string? NextCursor);

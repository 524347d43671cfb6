using Retrieval.Core.Model;
using Retrieval.Engine.Memory;

namespace Retrieval.Engine;

/// <summary>A collection's definition with its live item count.</summary>
public sealed record CollectionInfo(CollectionDefinition Definition, long ItemCount)
{
    /// <summary>Per multi-vector space: items, token vectors received and vectors kept after pruning (space name order).</summary>
    public IReadOnlyList<MultiVectorSpaceStats> MultiVectorStats { get; init; } = [];

    /// <summary>What each space holds in memory, as the vector memory budget counts it (definition order).</summary>
    public IReadOnlyList<SpaceMemory> Memory { get; init; } = [];

    /// <summary>The aliases that point to the collection, ordered by name (set by GetCollection and ListCollections).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

namespace Retrieval.Core.Model;

/// <summary>
/// A collection's catalog entry: its spaces and the space a search without one uses.
/// Immutable: changes produce a new definition that the store persists. <see cref="StoreInputs"/> (set at creation)
/// keeps the raw input each item was encoded from in the store of record, so a later model can re-encode the gallery.
/// <see cref="Shards"/> (set at creation, 1 to <see cref="ShardAssignment.MaxShards"/>) splits the items by
/// <see cref="ShardAssignment.ShardOf"/>; each shard has its own segments, indexes and snapshot.
/// </summary>
public sealed record CollectionDefinition(
    string Name,
    IReadOnlyList<SpaceDefinition> Spaces,
    string DefaultSpace,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool StoreInputs = false,
    int Shards = 1)
{
    /// <summary>
    /// The definition's version: 0 at creation, one more with every change. The store keeps it beside the definition and
    /// refuses a change or a write made against another version (docs/decisions.md, "Every node follows the store").
    /// </summary>
    public long Version { get; init; }

    /// <summary>
    /// Copies of each shard kept on different nodes when shards are placed as replicas (cluster mode,
    /// <c>Retrieval:Cluster:ShardPlacement=Grains</c>): 1 to the number of nodes, set at creation. A search needs one
    /// live replica of every shard, so with 2 the loss of one node fails no search.
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>This definition changed: the next version, stamped <paramref name="at"/>.</summary>
    public CollectionDefinition Changed(DateTimeOffset at) => this with { Version = Version + 1, UpdatedAt = at };

    public SpaceDefinition? FindSpace(string name) => Spaces.FirstOrDefault(s => s.Name == name);
}

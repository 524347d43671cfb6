namespace Retrieval.Core.Model;

/// <summary>
/// A collection's catalog entry: its spaces and the space a search without one uses.
/// Immutable: changes produce a new definition that the store persists.
/// </summary>
public sealed record CollectionDefinition(
    string Name,
    IReadOnlyList<SpaceDefinition> Spaces,
    string DefaultSpace,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public SpaceDefinition? FindSpace(string name) => Spaces.FirstOrDefault(s => s.Name == name);
}

namespace Retrieval.Core.Model;

/// <summary>
/// A collection's catalog entry: its spaces and the space a search without one uses.
/// Immutable: changes produce a new definition that the store persists. <see cref="StoreInputs"/> (set at creation)
/// keeps the raw input each item was encoded from in the store of record, so a later model can re-encode the gallery.
/// </summary>
public sealed record CollectionDefinition(
    string Name,
    IReadOnlyList<SpaceDefinition> Spaces,
    string DefaultSpace,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool StoreInputs = false)
{
    public SpaceDefinition? FindSpace(string name) => Spaces.FirstOrDefault(s => s.Name == name);
}

using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// The store's catalog role: which collections exist and their definitions. Deleting a collection deletes everything the
/// other roles hold for it (items, raw inputs, maps, migrations).
/// </summary>
public interface ICatalogStore
{
    /// <summary>Every collection's definition.</summary>
    Task<IReadOnlyList<CollectionDefinition>> ListCollectionsAsync(CancellationToken cancellationToken);

    /// <summary>Throws <see cref="Errors.RetrievalException"/> (AlreadyExists) when the name is taken.</summary>
    Task CreateCollectionAsync(CollectionDefinition collection, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a collection's definition (spaces, default space). When <paramref name="removedSpace"/> is set,
    /// every vector of that space is deleted in the same transaction. NotFound when the collection is unknown. A
    /// compare-and-set on <see cref="CollectionDefinition.Version"/>: the stored version must be one less, otherwise
    /// nothing changes and it fails Aborted (another writer changed the definition first).
    /// </summary>
    Task UpdateCollectionAsync(CollectionDefinition collection, string? removedSpace, CancellationToken cancellationToken);

    /// <summary>Deletes a collection with all its items, raw inputs, maps and migrations. Returns false when it did not exist.</summary>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken);
}

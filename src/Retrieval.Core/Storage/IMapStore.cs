using Retrieval.Core.Maps;

namespace Retrieval.Core.Storage;

/// <summary>The store's map role: compatibility maps between spaces and their lifecycle state.</summary>
public interface IMapStore
{
    /// <summary>Stores a new compatibility map. NotFound when the collection is unknown; AlreadyExists when the id is taken.</summary>
    Task SaveMapAsync(StoredMap map, CancellationToken cancellationToken);

    /// <summary>The maps of a collection ordered by creation time, then id (empty for an unknown collection).</summary>
    Task<IReadOnlyList<StoredMap>> ListMapsAsync(string collection, CancellationToken cancellationToken);

    /// <summary>One map, or null when unknown.</summary>
    Task<StoredMap?> GetMapAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a map to <paramref name="state"/> and sets its <c>updated_at</c>. Activating retires the active map of the
    /// same (collection, from, to) in the same transaction, so at most one is active. Returns false when the map is unknown.
    /// </summary>
    Task<bool> SetMapStateAsync(string collection, string id, MapState state, DateTimeOffset updatedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a map's report (JSON) and sets its <c>updated_at</c>: a migration's evaluation decides the gate of the map
    /// it fitted. Returns false when the map is unknown.
    /// </summary>
    Task<bool> SetMapReportAsync(string collection, string id, string reportJson, DateTimeOffset updatedAt, CancellationToken cancellationToken);
}

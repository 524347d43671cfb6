using Retrieval.Core.Maps;

namespace Retrieval.Core.Storage;

/// <summary>
/// A compatibility map as the store of record holds it: the <see cref="MapSerializer"/> blob, the report as JSON text
/// (opaque to the store) and its registry state.
/// </summary>
public sealed record StoredMap(
    string Id,
    string Collection,
    string FromSpace,
    string ToSpace,
    MapKind Kind,
    MapState State,
    byte[] Data,
    string ReportJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>A registered compatibility map as callers see it: identity, spaces, state and the report of its fit.</summary>
public sealed record MapInfo(
    string Id,
    string Collection,
    string FromSpace,
    string ToSpace,
    MapKind Kind,
    MapState State,
    MapReport Report,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

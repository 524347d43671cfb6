using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>A map held in memory by the registry: its metadata and the decoded map that routing applies.</summary>
internal sealed record RegisteredMap(MapInfo Info, CompatibilityMap Map);

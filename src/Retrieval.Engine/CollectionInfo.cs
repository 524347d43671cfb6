using Retrieval.Core.Model;

namespace Retrieval.Engine;

/// <summary>A collection's definition with its live item count.</summary>
public sealed record CollectionInfo(CollectionDefinition Definition, long ItemCount);

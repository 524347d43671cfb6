using System.Text.Json.Serialization;

namespace Retrieval.Core.Model;

/// <summary>A named embedding space of a collection: every vector in it has <see cref="Dimension"/> components.</summary>
/// <param name="Name">The space name, <c>[a-z0-9_-]{1,64}</c>.</param>
/// <param name="Dimension">Components per vector (per token vector in a multi-vector space).</param>
/// <param name="Metric">How vectors are compared.</param>
/// <param name="Model">The model that produces the vectors.</param>
/// <param name="CompatiblePrefixOf">
/// Another space of the collection whose vectors are comparable with this space's first <c>d</c> coordinates (a BT²/OCA
/// trained model); a query of this space searches that one by prefix, without a map. Null when none.
/// </param>
/// <param name="RenormalizePrefix">Re-normalize the prefix before scoring (OCA) instead of comparing it raw (BT²).</param>
/// <param name="Index">
/// The approximate index of the space's sealed segments as a factory string (<c>HNSW32</c>, <c>IVF1024,PQ16x8</c>, ...);
/// null or empty for exact search only.
/// </param>
/// <param name="Encoder">The registered encoder that turns raw inputs into this space's vectors; null when clients send vectors only.</param>
/// <param name="Kind">Dense (one vector per item, the default) or multi (a matrix of token vectors per item).</param>
/// <param name="MultiVector">The settings of a multi-vector space; null for a dense one.</param>
public sealed record SpaceDefinition(
    string Name,
    int Dimension,
    Metric Metric,
    ModelRef Model,
    string? CompatiblePrefixOf = null,
    bool RenormalizePrefix = false,
    string? Index = null,
    EncoderRef? Encoder = null,
    SpaceKind Kind = SpaceKind.Dense,
    MultiVectorSettings? MultiVector = null)
{
    /// <summary>Largest dimension a space may declare.</summary>
    public const int MaxDimension = 65536;

    /// <summary>True for a <see cref="SpaceKind.Multi"/> space.</summary>
    [JsonIgnore]
    public bool IsMulti => Kind == SpaceKind.Multi;
}

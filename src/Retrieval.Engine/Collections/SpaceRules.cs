using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine.Collections;

/// <summary>What a space definition must satisfy, and the canonical form it is stored in.</summary>
internal static class SpaceRules
{
    /// <summary>Validates a space; returns it as persisted (a multi-vector space gets its MUVERA state pinned).</summary>
    public static SpaceDefinition Validate(SpaceDefinition space, string field)
    {
        Names.ValidateName(space.Name, $"{field}.name");
        if (space.Dimension is < 1 or > SpaceDefinition.MaxDimension)
        {
            throw RetrievalException.Invalid($"{field}.dimension", $"must be between 1 and {SpaceDefinition.MaxDimension}, got {space.Dimension}");
        }

        if (!Enum.IsDefined(space.Metric))
        {
            throw RetrievalException.Invalid($"{field}.metric", "must be METRIC_INNER_PRODUCT, METRIC_COSINE or METRIC_L2");
        }

        if (!string.IsNullOrWhiteSpace(space.Index) && !space.IsMulti)
        {
            // A multi-vector space's spec is checked by MultiVectorSpaceValidator, against its encoded length.
            IndexSpec.Parse(space.Index, space.Dimension, $"{field}.index");
        }

        if (string.IsNullOrWhiteSpace(space.Model?.Name))
        {
            throw RetrievalException.Invalid($"{field}.model.name", "the model that produces the space's vectors is required");
        }

        if (space.Model.Name.Length > 256 || (space.Model.Version?.Length ?? 0) > 256)
        {
            throw RetrievalException.Invalid($"{field}.model", "model name and version are limited to 256 characters");
        }

        return MultiVectorSpaceValidator.Validate(space, field);
    }

    /// <summary>A declared compatible prefix names another space of the collection that is no wider than this one.</summary>
    public static void ValidatePrefix(SpaceDefinition space, IReadOnlyList<SpaceDefinition> spaces, string field)
    {
        if (string.IsNullOrEmpty(space.CompatiblePrefixOf))
        {
            return;
        }

        var old = spaces.FirstOrDefault(s => s.Name == space.CompatiblePrefixOf && s.Name != space.Name)
            ?? throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", $"'{space.CompatiblePrefixOf}' is not another space of the collection");
        if (space.IsMulti || old.IsMulti)
        {
            throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", "prefix compatibility applies to dense spaces only");
        }

        if (old.Dimension > space.Dimension)
        {
            throw RetrievalException.Invalid($"{field}.compatiblePrefixOf", $"space '{old.Name}' has dimension {old.Dimension}, wider than this space's {space.Dimension}");
        }
    }

    /// <summary>Stored and reported in the canonical spelling (HNSW32,SQ8; IVF64,PQ8x8); empty means none.</summary>
    public static SpaceDefinition WithCanonicalIndex(SpaceDefinition space) =>
        space with { Index = string.IsNullOrWhiteSpace(space.Index) ? null : IndexSpec.Parse(space.Index, IndexedDimension(space), "index").ToString() };

    /// <summary>
    /// Length of the vectors a space's index holds: its dimension, or for a (validated) multi-vector space the length
    /// of its MUVERA encodings, which is what its FDE index stores.
    /// </summary>
    public static int IndexedDimension(SpaceDefinition space) =>
        space is { IsMulti: true, MultiVector: { } multi } ? multi.Muvera.EncodedLength : space.Dimension;
}

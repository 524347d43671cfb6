using Google.Protobuf.WellKnownTypes;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Engine;
using Retrieval.Engine.Memory;
using ProtoMetric = Retrieval.Contracts.V1.Metric;
using ProtoSpace = Retrieval.Contracts.V1.Space;

namespace Retrieval.Server.Mapping;

internal static class CollectionMapping
{
    public static SpaceDefinition ToDefinition(ProtoSpace? space, FieldPath field)
    {
        if (space is null)
        {
            throw RetrievalException.Invalid(field, "is required");
        }

        var metric = space.Metric switch
        {
            ProtoMetric.InnerProduct => Metric.InnerProduct,
            ProtoMetric.Cosine => Metric.Cosine,
            ProtoMetric.L2 => Metric.L2,
            ProtoMetric.Unspecified => throw RetrievalException.Invalid(field.Member("metric"), "is required: METRIC_INNER_PRODUCT, METRIC_COSINE or METRIC_L2"),
            _ => throw RetrievalException.Invalid(field.Member("metric"), $"unknown metric value {(int)space.Metric}"),
        };
        var kind = MultiVectorMapping.ToKind(space.Kind, field.Member("kind"));
        return new SpaceDefinition(space.Name, space.Dimension, metric, new ModelRef(space.Model?.Name ?? "", space.Model?.Version ?? ""),
            string.IsNullOrEmpty(space.CompatiblePrefixOf) ? null : space.CompatiblePrefixOf, space.RenormalizePrefix,
            string.IsNullOrWhiteSpace(space.Index) ? null : space.Index,
            space.Encoder is { } e ? new EncoderRef(e.Name, e.Version, e.ModelSha256) : null,
            kind, MultiVectorMapping.ToSettings(space, kind, field));
    }

    public static ProtoSpace ToProto(SpaceDefinition space) => new()
    {
        Kind = space.IsMulti ? Contracts.V1.SpaceKind.Multi : Contracts.V1.SpaceKind.Dense,
        MultiVector = space.MultiVector is { } settings ? MultiVectorMapping.ToProto(settings) : null,
        Name = space.Name,
        Dimension = space.Dimension,
        Metric = space.Metric switch
        {
            Metric.InnerProduct => ProtoMetric.InnerProduct,
            Metric.Cosine => ProtoMetric.Cosine,
            Metric.L2 => ProtoMetric.L2,
            _ => ProtoMetric.Unspecified,
        },
        Model = new Contracts.V1.ModelRef { Name = space.Model.Name, Version = space.Model.Version },
        CompatiblePrefixOf = space.CompatiblePrefixOf ?? "",
        RenormalizePrefix = space.RenormalizePrefix,
        Index = space.Index ?? "",
        Encoder = space.Encoder is { } e ? new Contracts.V1.EncoderRef { Name = e.Name, Version = e.Version, ModelSha256 = e.ModelSha256 } : null,
    };

    public static Contracts.V1.Collection ToProto(CollectionInfo info)
    {
        var collection = new Contracts.V1.Collection
        {
            Name = info.Definition.Name,
            DefaultSpace = info.Definition.DefaultSpace,
            ItemCount = info.ItemCount,
            CreatedAt = Timestamp.FromDateTimeOffset(info.Definition.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(info.Definition.UpdatedAt),
            StoreInputs = info.Definition.StoreInputs,
            Shards = info.Definition.Shards,
            Replicas = info.Definition.Replicas,
        };
        collection.Spaces.Add(info.Definition.Spaces.Select(ToProto));
        collection.MultiVectorStats.Add(info.MultiVectorStats.Select(MultiVectorMapping.ToProto));
        collection.Aliases.Add(info.Aliases);
        collection.SpaceMemory.Add(info.Memory.Select(ToProto));
        return collection;
    }

    private static Contracts.V1.SpaceMemory ToProto(SpaceMemory memory) => new()
    {
        Space = memory.Space,
        Vectors = memory.Vectors,
        VectorBytes = memory.VectorBytes,
        IndexBytes = memory.IndexBytes,
        TokenBytes = memory.TokenBytes,
        TotalBytes = memory.TotalBytes,
    };
}

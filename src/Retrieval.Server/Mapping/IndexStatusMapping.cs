using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;

namespace Retrieval.Server.Mapping;

internal static class IndexStatusMapping
{
    public static SpaceIndexStatus ToProto(Engine.SpaceIndexStatus status)
    {
        var proto = new SpaceIndexStatus
        {
            Spec = status.Spec ?? "",
            AppendableVectors = status.AppendableVectors,
            IndexedVectors = status.IndexedVectors,
            TotalVectors = status.TotalVectors,
        };
        proto.Segments.Add(status.Segments.Select(s => new SegmentStatus
        {
            Id = s.Id,
            Vectors = s.Vectors,
            LiveVectors = s.LiveVectors,
            Indexed = s.Indexed,
            IndexSpec = s.IndexSpec ?? "",
            Error = s.Error ?? "",
            Shard = s.Shard,
        }));
        proto.Build = status.Build is { } build ? ToProto(build) : null;
        proto.Shards.Add(status.Shards.Select((shard, number) => new ShardIndexStatus
        {
            Shard = number,
            AppendableVectors = shard.AppendableVectors,
            IndexedVectors = shard.IndexedVectors,
            TotalVectors = shard.TotalVectors,
            Build = shard.Build is { } b ? ToProto(b) : null,
        }));
        return proto;
    }

    private static IndexBuild ToProto(Engine.BuildStatus build)
    {
        var proto = new IndexBuild
        {
            Spec = build.Spec,
            Done = build.Done,
            Total = build.Total,
            StartedAt = Timestamp.FromDateTimeOffset(build.StartedAt),
        };
        proto.SourceSegments.Add(build.SourceSegments);
        return proto;
    }
}

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
        }));
        if (status.Build is { } build)
        {
            proto.Build = new IndexBuild
            {
                Spec = build.Spec,
                Done = build.Done,
                Total = build.Total,
                StartedAt = Timestamp.FromDateTimeOffset(build.StartedAt),
            };
            proto.Build.SourceSegments.Add(build.SourceSegments);
        }

        return proto;
    }
}

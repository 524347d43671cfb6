using Google.Protobuf.WellKnownTypes;
using Retrieval.Engine.Backups;

namespace Retrieval.Server.Mapping;

/// <summary>Collection snapshots between the engine and the wire.</summary>
internal static class SnapshotMapping
{
    public static Contracts.V1.Snapshot ToProto(CollectionSnapshotInfo info) => new()
    {
        Collection = info.Collection,
        Name = info.Name,
        Sequence = info.Sequence,
        CreatedAt = Timestamp.FromDateTimeOffset(info.CreatedAt),
        StoreKind = info.StoreKind,
        SizeBytes = info.SizeBytes,
        ContentSha256 = info.ContentSha256,
        FormatVersion = info.FormatVersion,
        Items = info.Counts.Items,
        Tombstones = info.Counts.Tombstones,
        RawInputs = info.Counts.RawInputs,
        Maps = info.Counts.Maps,
        Migrations = info.Counts.Migrations,
        MigrationEvents = info.Counts.MigrationEvents,
        DerivedItems = info.Counts.DerivedItems,
        IndexFiles = info.Counts.IndexFiles,
        Problem = info.Problem ?? "",
    };

    public static Contracts.V1.RestoreSnapshotResponse ToProto(Engine.CollectionInfo collection, CollectionSnapshotInfo snapshot) => new()
    {
        Collection = CollectionMapping.ToProto(collection),
        Snapshot = ToProto(snapshot),
    };
}

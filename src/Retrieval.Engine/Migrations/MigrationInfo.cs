using Retrieval.Core.Storage;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// A migration as callers see it: its row, options, what fit/evaluate established, and progress: live while it is open,
/// as recorded when it ended once it is closed (null for a closed migration that ended before progress was recorded).
/// </summary>
public sealed record MigrationInfo(StoredMigration Row, MigrationParameters Settings, MigrationDetails Details, MigrationProgress? Progress)
{
    /// <summary>Live online-refit figures (map version, held-out figures, next refit) while the migration is open and learning; null otherwise.</summary>
    public OnlineRefitStatus? Refit { get; init; }
}

/// <summary>
/// Live progress from the in-memory collection: <see cref="NativeItems"/> have a native new vector, <see cref="DerivedItems"/>
/// one derived through the inverse map, <see cref="MissingNewItems"/> none yet (they are the work left).
/// <see cref="LeftForClientItems"/>: with a server-side encoder, items the worker has walked past without a native vector
/// because it had nothing to encode (no stored raw input, or one the encoder refused); the client backfills them.
/// </summary>
public sealed record MigrationProgress(long TotalItems, long NativeItems, long DerivedItems, long MissingNewItems, long LeftForClientItems = 0)
{
    public static MigrationProgress None { get; } = new(0, 0, 0, 0);

    /// <summary>Share of items with a native new vector, in [0, 1].</summary>
    public double Fraction => TotalItems == 0 ? 1 : (double)NativeItems / TotalItems;
}

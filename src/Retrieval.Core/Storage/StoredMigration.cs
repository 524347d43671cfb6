using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>
/// A model-upgrade migration as the store of record holds it. <see cref="FromSpace"/> is the old model's space,
/// <see cref="ToSpace"/> the new one's. The counters and checkpoints change only together with the item writes they
/// describe (<see cref="MigrationMarks"/>), so after a crash they agree with the data exactly.
/// </summary>
/// <param name="Id">Migration id, unique per collection.</param>
/// <param name="Collection">The collection migrated.</param>
/// <param name="FromSpace">The old space (the current default space, typically).</param>
/// <param name="ToSpace">The new space.</param>
/// <param name="Encoder">Encoder that re-encodes stored raw inputs into <see cref="ToSpace"/>; null: the client supplies new vectors.</param>
/// <param name="Phase">Current phase.</param>
/// <param name="Settings">Options of the migration (map kind, fit options, backfill rate) as JSON, opaque to the store.</param>
/// <param name="MapId">The fitted new→old map, once fitted.</param>
/// <param name="InverseMapId">The old→new map fitted on the same anchors (derives new vectors for old-only writes).</param>
/// <param name="CalibrationJson">Linear calibration of mapped to native scores and related fit figures, as JSON; null before fit.</param>
/// <param name="WorkerCursor">The server backfill worker's position: the last item id (ordinal order) it has handled.</param>
/// <param name="ClientCheckpoint">The opaque resume token of the last client backfill batch committed (e.g. a row offset).</param>
/// <param name="Backfilled">Items whose new vector became native (client-supplied or re-encoded) during this migration.</param>
/// <param name="MappedOnWrite">Old-space vectors produced through the map for writes that carried only a new vector.</param>
/// <param name="DerivedOnWrite">New-space vectors derived through the inverse map for writes that carried only an old vector.</param>
/// <param name="PreviousDefaultSpace">The default space before cutover, restored by rollback.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="UpdatedAt">Last change (phase, counters).</param>
/// <param name="ChangedBy">Who made the last phase change ("api", "cli:&lt;user&gt;", "worker").</param>
public sealed record StoredMigration(
    string Id,
    string Collection,
    string FromSpace,
    string ToSpace,
    string? Encoder,
    MigrationPhase Phase,
    string Settings,
    string? MapId,
    string? InverseMapId,
    string? CalibrationJson,
    string? WorkerCursor,
    string? ClientCheckpoint,
    long Backfilled,
    long MappedOnWrite,
    long DerivedOnWrite,
    string? PreviousDefaultSpace,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string ChangedBy);

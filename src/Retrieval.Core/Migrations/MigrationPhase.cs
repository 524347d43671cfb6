namespace Retrieval.Core.Migrations;

/// <summary>
/// Where a model-upgrade migration stands (DESIGN §7). The numbers are persisted by both stores; never renumber.
/// </summary>
public enum MigrationPhase
{
    /// <summary>Created: collection, old (from) and new (to) space named; nothing fitted yet.</summary>
    Planned = 1,

    /// <summary>A new→old map (and its old→new inverse and the score calibration) is fitted from anchors.</summary>
    Fitted = 2,

    /// <summary>The map's compatibility report was measured on an evaluation set.</summary>
    Evaluated = 3,

    /// <summary>The map is active: new-space queries search the old index through it; writes keep both spaces filled.</summary>
    Active = 4,

    /// <summary>New-space vectors are being filled in; queries are mixed (native for backfilled items, mapped for the rest).</summary>
    Backfilling = 5,

    /// <summary>Backfilling, with the server-side worker stopped by the operator; client backfill batches are refused.</summary>
    Paused = 6,

    /// <summary>The new space is the collection's default space; old vectors are kept until retire.</summary>
    CutOver = 7,

    /// <summary>Final: the old space, its vectors and the migration's maps are gone.</summary>
    Retired = 8,

    /// <summary>Final: the collection behaves as before the migration (default space and routing restored).</summary>
    RolledBack = 9,
}

using Retrieval.Core.Errors;
using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>The errors both stores raise when a migration instruction conflicts with what they hold, worded alike.</summary>
public static class MigrationStoreErrors
{
    /// <summary>The schema's unique index over open migrations refused a new one (the engine's own check was bypassed or raced).</summary>
    public static RetrievalException OpenMigrationConflict(StoredMigration migration, Exception inner)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return new RetrievalException(
            ErrorKind.FailedPrecondition,
            $"another migration of space '{migration.FromSpace}' in collection '{migration.Collection}' is still open; cut it over and retire it, or roll it back, first",
            inner: inner);
    }

    /// <summary>
    /// A batch's marks name a phase the migration is no longer in (or a migration that does not exist), or a worker step's
    /// cursor the stored one has moved from; nothing was committed.
    /// </summary>
    public static RetrievalException MarksPhaseMismatch(string collection, MigrationMarks marks)
    {
        ArgumentNullException.ThrowIfNull(marks);
        return marks.WorkerStep is { } step
            ? RetrievalException.Precondition(
                $"migration '{marks.MigrationId}' of collection '{collection}' is no longer in phase {MigrationPhases.Name(marks.Phase)}, or its worker cursor " +
                $"moved from {(step.CursorBefore is null ? "the start" : $"'{step.CursorBefore}'")} (another backfill runner advanced it); the batch was not committed")
            : RetrievalException.Precondition(
                $"migration '{marks.MigrationId}' of collection '{collection}' is no longer in phase {MigrationPhases.Name(marks.Phase)}; the batch was not committed");
    }
}

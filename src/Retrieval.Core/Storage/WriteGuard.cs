using Retrieval.Core.Migrations;

namespace Retrieval.Core.Storage;

/// <summary>
/// What a write batch was validated against, for a store that several nodes write: the collection's definition version
/// and its open migration (id and phase), or none. The store commits the batch only while both are still what it holds,
/// in the same transaction; otherwise nothing is written and the write fails with <see cref="Errors.ErrorKind.Aborted"/>
/// (another node changed the collection first; the node reloads it and the client's retry succeeds).
/// </summary>
/// <param name="DefinitionVersion">The <see cref="Model.CollectionDefinition.Version"/> the batch was validated against.</param>
/// <param name="MigrationId">The collection's open migration as the node sees it, or null when it sees none.</param>
/// <param name="MigrationPhase">That migration's phase (null with no migration).</param>
public sealed record WriteGuard(long DefinitionVersion, string? MigrationId, MigrationPhase? MigrationPhase)
{
    /// <summary>The open migration as one comparable token (<c>id:phase</c>), or null with none; stores compare it as is.</summary>
    public string? OpenMigration => MigrationId is null ? null : $"{MigrationId}:{(int)MigrationPhase!.Value}";

    /// <summary>The Aborted error of a batch whose guard no longer holds.</summary>
    public static Errors.RetrievalException Stale(string collection) => Errors.RetrievalException.Aborted(
        $"collection '{collection}' was changed by another node (its definition or open migration) while this write was prepared; nothing was written, send it again");
}

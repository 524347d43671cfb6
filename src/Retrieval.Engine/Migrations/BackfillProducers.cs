using Retrieval.Core.Model;

namespace Retrieval.Engine.Migrations;

/// <summary>The server-side sources of a migration's backfill vectors, and which of them can fill a job.</summary>
internal sealed class BackfillProducers
{
    private readonly IReadOnlyList<IBackfillVectorProducer> _backfillProducers;

    public BackfillProducers(IReadOnlyList<IBackfillVectorProducer> producers) => _backfillProducers = producers;

    /// <summary>
    /// What the server-side backfill of an open migration fills: with an encoder, a re-encoding job; for a re-projection
    /// (settings name a two-sided map, whose gallery side is the migration's inverse map), a re-projection job; else null.
    /// </summary>
    public static BackfillJob? JobOf(CollectionDefinition definition, MigrationRuntime migration) =>
        definition.FindSpace(migration.Row.ToSpace) is not { } to ? null
        : migration.Row.Encoder is { } encoder ? new BackfillJob(definition, migration.Row.FromSpace, to, encoder)
        : MigrationCoordinator.IsReprojection(migration) ? new BackfillJob(definition, migration.Row.FromSpace, to, "") { Reprojection = migration.Inverse }
        : null;

    /// <summary>The first producer that can fill <paramref name="job"/>; otherwise null and every producer's reason.</summary>
    public IBackfillVectorProducer? Find(BackfillJob job, out string whyNot)
    {
        var reasons = new List<string>();
        foreach (var producer in _backfillProducers)
        {
            if (producer.WhyNot(job) is not { } reason)
            {
                whyNot = "";
                return producer;
            }

            reasons.Add(reason);
        }

        whyNot = reasons.Count == 0 ? "this server runs no encoders" : string.Join("; ", reasons);
        return null;
    }
}

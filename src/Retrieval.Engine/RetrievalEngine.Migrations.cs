using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Storage;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;

namespace Retrieval.Engine;

/// <summary>Compatibility maps and model-upgrade migrations: the <see cref="MapService"/>, <see cref="MigrationCoordinator"/> and <see cref="BackfillService"/>.</summary>
public sealed partial class RetrievalEngine
{
    /// <summary>
    /// Fits a compatibility map from anchors (the collection's items holding vectors in both spaces, or the request's pairs),
    /// evaluates it and stores it as a draft. Synchronous: returns once the map and its report are committed.
    /// </summary>
    public Task<MapInfo> FitMapAsync(string collection, MapFitRequest request, CancellationToken cancellationToken) =>
        _maps.FitAsync(_catalog.CanonicalName(collection), request, cancellationToken);

    public IReadOnlyList<MapInfo> ListMaps(string collection) => _maps.List(_catalog.CanonicalName(collection));

    public MapInfo GetMap(string collection, string id) => _maps.Get(_catalog.CanonicalName(collection), id);

    /// <summary>The decoded map itself (weights, mean), for tests that check what the engine computed with it.</summary>
    internal CompatibilityMap MapOf(string collection, string id) =>
        _catalog.Get(collection).Maps.Find(id)?.Map ?? throw RetrievalException.NotFound($"map '{id}' not found in collection '{collection}'");

    /// <summary>
    /// Makes the map the active one of its (from, to) pair, retiring the previous one in the same store transaction.
    /// FAILED_PRECONDITION when its compatibility gate failed, unless <paramref name="force"/>.
    /// </summary>
    public Task<MapInfo> ActivateMapAsync(string collection, string id, bool force, CancellationToken cancellationToken) =>
        _maps.ActivateAsync(_catalog.CanonicalName(collection), id, force, cancellationToken);

    /// <summary>Stops a map from routing queries; it stays listed with its report.</summary>
    public Task<MapInfo> RetireMapAsync(string collection, string id, CancellationToken cancellationToken) =>
        _maps.RetireAsync(_catalog.CanonicalName(collection), id, cancellationToken);

    /// <summary>Creates a migration in phase planned. At most one migration per collection is open at a time.</summary>
    public Task<MigrationInfo> PlanMigrationAsync(string collection, MigrationPlan plan, string? actor, CancellationToken cancellationToken) =>
        _migrations.PlanMigrationAsync(_catalog.CanonicalName(collection), plan, actor, cancellationToken);

    public Task<IReadOnlyList<MigrationInfo>> ListMigrationsAsync(string collection, CancellationToken cancellationToken) =>
        _migrations.ListMigrationsAsync(_catalog.CanonicalName(collection), cancellationToken);

    public Task<MigrationInfo> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken) =>
        _migrations.GetMigrationAsync(_catalog.CanonicalName(collection), id, cancellationToken);

    /// <summary>The audit trail of a migration, oldest first.</summary>
    public Task<IReadOnlyList<MigrationEvent>> GetMigrationEventsAsync(string collection, string id, CancellationToken cancellationToken) =>
        _migrations.GetMigrationEventsAsync(_catalog.CanonicalName(collection), id, cancellationToken);

    /// <summary>Fits the new→old map, its inverse and the score calibration; allowed in planned, fitted and evaluated.</summary>
    public Task<MigrationInfo> FitMigrationAsync(
        string collection, string id, MigrationParameters? settings, IReadOnlyList<(float[] New, float[] Old)> anchors,
        IReadOnlyList<MapEvaluationQuery> evaluation, string? actor, CancellationToken cancellationToken) =>
        _migrations.FitMigrationAsync(_catalog.CanonicalName(collection), id, settings, anchors, evaluation, actor, cancellationToken);

    /// <summary>Measures the fitted map on an evaluation set and decides the BCT gate that activation honours.</summary>
    public Task<MigrationInfo> EvaluateMigrationAsync(
        string collection, string id, IReadOnlyList<MapEvaluationQuery> evaluation, GateMetric? gateMetric, string? actor, CancellationToken cancellationToken) =>
        _migrations.EvaluateMigrationAsync(_catalog.CanonicalName(collection), id, evaluation, gateMetric, actor, cancellationToken);

    /// <summary>Activates the map: new-space queries search the old index through it; FAILED_PRECONDITION past a failed gate unless forced.</summary>
    public Task<MigrationInfo> ActivateMigrationAsync(string collection, string id, bool force, string? actor, CancellationToken cancellationToken) =>
        _migrations.ActivateMigrationAsync(_catalog.CanonicalName(collection), id, force, actor, cancellationToken);

    /// <summary>Starts the backfill phase: client batches are accepted and, with an encoder, the server worker runs.</summary>
    public Task<MigrationInfo> StartBackfillAsync(string collection, string id, double? itemsPerSecond, string? actor, CancellationToken cancellationToken) =>
        _migrations.StartBackfillAsync(_catalog.CanonicalName(collection), id, itemsPerSecond, actor, cancellationToken);

    /// <summary>Pauses the backfill: the worker stops after its current batch; client batches are refused until resume.</summary>
    public Task<MigrationInfo> PauseMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        _migrations.PauseMigrationAsync(_catalog.CanonicalName(collection), id, actor, cancellationToken);

    public Task<MigrationInfo> ResumeMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        _migrations.ResumeMigrationAsync(_catalog.CanonicalName(collection), id, actor, cancellationToken);

    /// <summary>Makes the new space the default space; FAILED_PRECONDITION while any item lacks a new vector.</summary>
    public Task<MigrationInfo> CutoverMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        _migrations.CutoverMigrationAsync(_catalog.CanonicalName(collection), id, actor, cancellationToken);

    /// <summary>Returns the collection to its behaviour before the migration, from any phase before retire.</summary>
    public Task<MigrationInfo> RollbackMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        _migrations.RollbackMigrationAsync(_catalog.CanonicalName(collection), id, actor, cancellationToken);

    /// <summary>Ends a cut-over migration: deletes the old space with its vectors and index, and retires the migration's maps.</summary>
    public Task<MigrationInfo> RetireMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        _migrations.RetireMigrationAsync(_catalog.CanonicalName(collection), id, actor, cancellationToken);

    /// <summary>
    /// Sets native new-space vectors of existing items (ids deleted meanwhile are skipped) and, with them, the client's
    /// resume token <paramref name="checkpoint"/>. Only in phase backfilling.
    /// </summary>
    public async Task<BackfillResult> BackfillAsync(string collection, string id, IReadOnlyList<BackfillVector> vectors, string? checkpoint, CancellationToken cancellationToken)
    {
        var name = _catalog.CanonicalName(collection);
        var result = await _backfill.BackfillAsync(name, id, vectors, checkpoint, cancellationToken);
        _refits.BatchCommitted(_catalog.Get(name));
        return result;
    }

    /// <summary>Collections whose open migration is backfilling with an encoder some producer serves (the worker's work list).</summary>
    public IReadOnlyList<(string Collection, string Migration, double ItemsPerSecond)> ServerBackfills() => _backfill.ServerBackfills();

    /// <summary>One step of the server backfill; returns how many items were walked (0: nothing left, or not backfilling).</summary>
    public async Task<int> RunBackfillStepAsync(string collection, int maxItems, CancellationToken cancellationToken)
    {
        var name = _catalog.CanonicalName(collection);
        var walked = await _backfill.RunBackfillStepAsync(name, maxItems, cancellationToken);
        if (walked > 0)
        {
            _refits.BatchCommitted(_catalog.Get(name));
        }

        return walked;
    }

    /// <summary>
    /// Refits the open migration's map now from what the backfill streamed (online refit, whatever its schedule), promotes
    /// it when it beats the serving map on the held-out pairs by the margin, and returns the refit's report.
    /// </summary>
    public Task<MapVersionReport> RefitMigrationAsync(string collection, string id, CancellationToken cancellationToken) =>
        _refits.RefitAsync(_catalog.CanonicalName(collection), id, cancellationToken);

    /// <summary>Completes once no scheduled background refit is running.</summary>
    public Task WhenRefitsIdleAsync() => _refits.WhenIdleAsync();

    /// <summary>Online-refit status of every open migration that keeps learning (for metrics).</summary>
    internal IEnumerable<(string Collection, string Migration, OnlineRefitStatus Status)> OpenMigrationRefits() => _migrations.OpenMigrationRefits();

    /// <summary>
    /// Before this node runs the first backfill step of a migration another node ran (cluster mode): adopts the stored
    /// worker cursor and counters, so the step walks on from the store's progress. False when the stored migration is
    /// not this node's open one in the same phase (nothing adopted).
    /// </summary>
    public Task<bool> AdoptStoredBackfillProgressAsync(string collection, string migrationId, CancellationToken cancellationToken) =>
        new BackfillHandover(_catalog, _store, _logger).AdoptStoredProgressAsync(_catalog.CanonicalName(collection), migrationId, cancellationToken);

    /// <summary>Progress of every open migration (for metrics).</summary>
    internal IEnumerable<(string Collection, string Migration, MigrationProgress Progress)> OpenMigrationProgress() =>
        _migrations.OpenMigrationProgress();
}

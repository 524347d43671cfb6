using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Maps;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The model-upgrade migration state machine (DESIGN §7): plan → fit → evaluate → activate → backfill (pause/resume) →
/// cutover → retire, rollback from any phase before retire. Every transition is one store transaction (compare-and-set on
/// the phase) taken under the collection's write gate, so it is ordered with writes; repeating a transition whose target
/// is already reached returns the migration unchanged, which makes every step safe to retry after a crash. Which phase
/// may follow which is decided here, once; the stores only persist what they are told.
/// </summary>
internal sealed partial class MigrationCoordinator
{
    private const string DefaultActor = "api";

    private readonly CollectionCatalog _catalog;
    private readonly IMigrationStore _store;
    private readonly MapService _maps;
    private readonly BackfillProducers _producers;
    private readonly ILogger _logger;

    public MigrationCoordinator(CollectionCatalog catalog, IMigrationStore store, MapService maps, BackfillProducers producers, ILogger logger)
    {
        _catalog = catalog;
        _store = store;
        _maps = maps;
        _producers = producers;
        _logger = logger;
    }


    /// <summary>Creates a migration in phase planned. At most one migration per collection is open at a time.</summary>
    public async Task<MigrationInfo> PlanMigrationAsync(string collection, MigrationPlan plan, string? actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var state = _catalog.Get(collection);
        var settings = ValidateSettings(plan.Settings);
        var id = string.IsNullOrEmpty(plan.Id) ? NewMigrationId() : plan.Id;
        Names.ValidateName(id, FieldPath.Of("id"));
        var from = MapService.RequireSpace(state, string.IsNullOrEmpty(plan.FromSpace) ? state.Definition.DefaultSpace : plan.FromSpace, FieldPath.Of("fromSpace"));
        var to = MapService.RequireSpace(state, plan.ToSpace, FieldPath.Of("toSpace"));
        if (from.Name == to.Name)
        {
            throw RetrievalException.Invalid(FieldPath.Of("toSpace"), "must differ from fromSpace");
        }

        ReprojectionPair(state, from.Name, to.Name, plan.Encoder, settings);
        if (!string.IsNullOrEmpty(plan.Encoder) && _producers.Find(new BackfillJob(state.Definition, from.Name, to, plan.Encoder), out var whyNot) is null)
        {
            throw RetrievalException.Precondition(
                $"the server cannot re-encode items of collection '{collection}' into space '{to.Name}' with encoder '{plan.Encoder}': {whyNot}; plan without an encoder and backfill from the client");
        }

        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.Migration is { } open)
            {
                throw RetrievalException.Precondition(
                    $"migration '{open.Row.Id}' of collection '{collection}' is still open ({MigrationPhaseNames.Of(open.Phase)}); cut it over and retire it, or roll it back, first");
            }

            var now = DateTimeOffset.UtcNow;
            var row = new StoredMigration(id, collection, from.Name, to.Name, string.IsNullOrEmpty(plan.Encoder) ? null : plan.Encoder, MigrationPhase.Planned,
                settings.Serialize(), null, null, null, null, null, 0, 0, 0, null, now, now, Actor(actor));
            await _store.CreateMigrationAsync(row, $"planned {from.Name} → {to.Name}", cancellationToken);
            state.Migration = new MigrationRuntime(row, null, null, MigrationDetails.Empty, new HashSet<string>(StringComparer.Ordinal));
            MigrationLog.Planned(_logger, collection, id, from.Name, to.Name, row.ChangedBy);
            return Describe(state, row);
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    public async Task<IReadOnlyList<MigrationInfo>> ListMigrationsAsync(string collection, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var rows = await _store.ListMigrationsAsync(collection, cancellationToken);
        return rows.Select(r => Describe(state, r)).ToList();
    }

    public async Task<MigrationInfo> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        return Describe(state, await RequireStoredMigrationAsync(state, id, cancellationToken));
    }

    /// <summary>The audit trail of a migration, oldest first.</summary>
    public async Task<IReadOnlyList<MigrationEvent>> GetMigrationEventsAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        await RequireStoredMigrationAsync(state, id, cancellationToken);
        return await _store.ListMigrationEventsAsync(collection, id, cancellationToken);
    }

    /// <summary>
    /// Fits the new→old map and its old→new inverse on the same anchors (items holding both spaces, or inline pairs), and the
    /// score calibration; the maps are stored as drafts. Allowed in planned, fitted and evaluated (a refit replaces them).
    /// </summary>
    public async Task<MigrationInfo> FitMigrationAsync(string collection, string id, MigrationParameters? settings, IReadOnlyList<(float[] New, float[] Old)> anchors, IReadOnlyList<MapEvaluationQuery> evaluation, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, _) = await FindMigrationAsync(state, id, "fit", [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated], cancellationToken);
        if (current is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' is closed");
        }

        var effective = settings is null ? MigrationParameters.Deserialize(current.Row.Settings) : ValidateSettings(settings);
        var reprojection = ReprojectionPair(state, current.Row.FromSpace, current.Row.ToSpace, current.Row.Encoder, effective);
        if (reprojection is { } pair && anchors.Count == 0)
        {
            anchors = state.Read(s => ReprojectionAnchors(s, current.Row.FromSpace, current.NewSpace(s.Definition), pair.Gallery.Map, effective.MaxAnchors, effective.Seed ?? 1));
        }

        var request = new MapFitRequest(current.Row.ToSpace, current.Row.FromSpace, effective.MapKind)
        {
            HeldOutFraction = effective.HeldOutFraction,
            Seed = effective.Seed,
            Alpha = effective.Alpha,
            Lambda = effective.Lambda,
            MaxAnchors = effective.MaxAnchors,
            GateMetric = effective.GateMetric,
            Anchors = anchors,
            Evaluation = evaluation,
        };

        // The maps are fitted with the registry's own code path (same report and gate as `maps fit`).
        var forward = await _maps.FitAsync(collection, request, cancellationToken);
        var inverseKind = effective.MapKind is MapKind.Affine or MapKind.LambdaOrthogonal ? effective.MapKind : MapKind.Orthogonal;
        // A re-projection's inverse is the pair's gallery side itself: write-time derivation then equals the backfill.
        var inverse = reprojection?.Gallery.Info ?? await _maps.FitAsync(collection, request with
        {
            FromSpace = current.Row.FromSpace,
            ToSpace = current.Row.ToSpace,
            Kind = inverseKind,
            Anchors = anchors.Select(p => (p.Old, p.New)).ToList(),
            Evaluation = [],
        }, cancellationToken);

        var forwardMap = state.Maps.Find(forward.Id)!.Map;
        var inverseMap = state.Maps.Find(inverse.Id)!.Map;
        var (anchorSet, newKind, oldKind, normalize) = state.Read(s =>
        {
            var from = s.Definition.FindSpace(current.Row.FromSpace)!;
            var to = s.Definition.FindSpace(current.Row.ToSpace)!;
            var set = anchors.Count > 0 ? MapService.InlineAnchors(anchors, to, from) : AnchorSampler.Collect(s, to.Name, from.Name, effective.MaxAnchors, effective.Seed ?? 1);
            return (set, s.Shards[0].GetSpace(to.Name).ScoreKind, s.Shards[0].GetSpace(from.Name).ScoreKind, from.Metric == Metric.Cosine);
        });
        var calibration = await Task.Run(() => ScoreCalibrator.Fit(anchorSet, forwardMap, newKind, oldKind, normalize, effective.Seed ?? 1), cancellationToken);
        var details = new MigrationDetails { Calibration = calibration, Anchors = anchorSet.Count };
        var seed = SeedLearning(anchors.Count > 0 ? anchorSet : null, forwardMap.Kind, reprojection is not null, effective);
        var info = await TransitionAsync(state, id, "fit", [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated], actor,
            row => (row with { Phase = MigrationPhase.Fitted, Settings = effective.Serialize(), MapId = forward.Id, InverseMapId = inverse.Id, CalibrationJson = details.Serialize() },
                $"fitted {forward.Kind} map {forward.Id} (gate {forward.Report.Gate}) and inverse {inverse.Id} on {anchorSet.Count} anchors", null, null),
            (row, _) => new MigrationRuntime(row, forwardMap, inverseMap, details, new HashSet<string>(StringComparer.Ordinal))
            {
                Learning = seed.Learning,
                EvaluationQueries = evaluation,
            },
            allowRepeat: true,
            update => update with
            {
                // A repeated fit replaces what an earlier one stored: its anchors, or none.
                ReplaceStatistics = true,
                SeedStatistics = seed.Write,
                EvaluationQueries = evaluation.Count > 0 ? EvaluationQueryCodec.Serialize(evaluation) : null,
            },
            cancellationToken);
        MigrationLog.Fitted(_logger, collection, id, anchorSet.Count, calibration.Scale, calibration.Offset, calibration.Correlation, calibration.Pairs);
        return info;
    }

    /// <summary>
    /// What online refit starts from when <c>fit</c> was given inline anchors: their statistics (stored with the phase
    /// change as version 0, and the runtime's learning). Inline anchors are no items of the collection, so no backfill
    /// batch would ever add them; without them a refit would be fitted on fewer pairs than the map it replaces. None for a
    /// re-projection (its new vectors are the map's own product), with refit off, without inline anchors (the first batch
    /// seeds from the items that hold both vectors, which are then the anchors), and for the kinds fitted from a
    /// reservoir of item ids (an inline pair has no id to sample).
    /// </summary>
    private static (OnlineRefitLearning? Learning, MigrationStatisticsWrite? Write) SeedLearning(AnchorSet? inline, MapKind kind, bool reprojection, MigrationParameters settings)
    {
        if (inline is null || inline.Count == 0 || reprojection || !settings.Refit.Enabled || !StatisticsMapFitter.CanFit(kind))
        {
            return (null, null);
        }

        var statistics = new AnchorStatistics(inline.NewDimension, inline.OldDimension);
        statistics.Add(inline);
        var learning = OnlineRefitLearning.FromFit(statistics, 0, DateTimeOffset.UtcNow);
        return (learning, new MigrationStatisticsWrite(statistics.Serialize(), 0, statistics.Count, []));
    }

    /// <summary>
    /// Measures the fitted map on an evaluation set (queries embedded by both models with relevant ids): recall and mAP of
    /// old→old, new→new, new→old unmapped and mapped, and the BCT gate that activation honours.
    /// </summary>
    public async Task<MigrationInfo> EvaluateMigrationAsync(string collection, string id, IReadOnlyList<MapEvaluationQuery> evaluation, GateMetric? gateMetric, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, _) = await FindMigrationAsync(state, id, "evaluate", [MigrationPhase.Fitted, MigrationPhase.Evaluated], cancellationToken);
        if (current is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' is closed");
        }

        if (evaluation.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("evaluation").Member("queries"), "at least one evaluation query (both embeddings and relevant ids) is required");
        }

        var settings = MigrationParameters.Deserialize(current.Row.Settings);
        var metric = gateMetric ?? settings.GateMetric ?? new MapFitOptions().GateMetric;
        var fitReport = state.Maps.Find(current.Row.MapId!)!.Info.Report;
        var set = state.Read(s => EvaluationSetBuilder.Build(s, current.NewSpace(s.Definition), current.OldSpace(s.Definition), evaluation)!);
        var oldMetric = current.OldSpace(state.Definition).Metric;
        var scores = await Task.Run(() => MapEvaluator.Evaluate(current.Forward!, set, oldMetric), cancellationToken);
        var report = fitReport with { Evaluation = scores, GateMetric = metric, Gate = MapEvaluator.Gate(scores, metric) };
        var details = current.Details with { Evaluation = report };
        var evaluated = await TransitionAsync(state, id, "evaluate", [MigrationPhase.Fitted, MigrationPhase.Evaluated], actor,
            row => (row with { Phase = MigrationPhase.Evaluated, CalibrationJson = details.Serialize() }, $"evaluated on {evaluation.Count} queries: gate {report.Gate}", null, null),
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, details, old.DerivedIds) { EvaluationQueries = evaluation },
            allowRepeat: true,
            update => update with { EvaluationQueries = EvaluationQueryCodec.Serialize(evaluation) },
            cancellationToken);

        // The map carries the decided gate too (maps list/get). After a crash between the two commits the map still shows
        // the fit's report; evaluate may be repeated in phase evaluated and writes it.
        await _maps.SetReportAsync(state, current.Row.MapId!, report, cancellationToken);
        return evaluated;
    }

    /// <summary>
    /// Activates the map: new-space queries now search the old index through it (mixed search), and writes keep both spaces
    /// filled. FAILED_PRECONDITION when the compatibility gate failed, unless <paramref name="force"/>.
    /// </summary>
    public async Task<MigrationInfo> ActivateMigrationAsync(string collection, string id, bool force, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "activate", [MigrationPhase.Fitted, MigrationPhase.Evaluated, MigrationPhase.Active], cancellationToken);
        if (current is null || current.Phase == MigrationPhase.Active)
        {
            return Describe(state, stored);
        }

        var report = current.Details.Evaluation ?? state.Maps.Find(current.Row.MapId!)!.Info.Report;
        if (report.Gate == GateOutcome.Failed && !force)
        {
            throw RetrievalException.Precondition($"migration '{id}': map '{current.Row.MapId}' failed its compatibility gate ({GateReason.Describe(report)}); activate with force to use it anyway");
        }

        // The map first: after a crash between the two commits the migration is still evaluated and activation is repeated.
        await _maps.ChangeStateAsync(state, current.Row.MapId!, MapState.Active, cancellationToken);
        return await TransitionAsync(state, id, "activate", [MigrationPhase.Fitted, MigrationPhase.Evaluated], actor,
            row => (row with { Phase = MigrationPhase.Active }, force && report.Gate == GateOutcome.Failed ? "activated (forced past a failed gate)" : "activated", null, null),
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, old.Details, old.DerivedIds),
            allowRepeat: false, cancellationToken);
    }

    /// <summary>Starts the backfill phase: client batches are accepted and, with an encoder, the server worker runs.</summary>
    public async Task<MigrationInfo> StartBackfillAsync(string collection, string id, double? itemsPerSecond, string? actor, CancellationToken cancellationToken)
    {
        if (itemsPerSecond is { } rate && (!double.IsFinite(rate) || rate < 0))
        {
            throw RetrievalException.Invalid(FieldPath.Of("itemsPerSecond"), "must be a finite number ≥ 0 (0: unthrottled)");
        }

        var state = _catalog.Get(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "backfill", [MigrationPhase.Active, MigrationPhase.Backfilling], cancellationToken);
        if (current is null || current.Phase == MigrationPhase.Backfilling)
        {
            return Describe(state, stored);
        }

        return await TransitionAsync(state, id, "backfill", [MigrationPhase.Active], actor,
            row => (row with
            {
                Phase = MigrationPhase.Backfilling,
                Settings = itemsPerSecond is { } r ? (MigrationParameters.Deserialize(row.Settings) with { ItemsPerSecond = r }).Serialize() : row.Settings,
            }, "backfill started", null, null),
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, old.Details, old.DerivedIds),
            allowRepeat: false, cancellationToken);
    }

    /// <summary>Pauses the backfill: the worker stops after its current batch; client batches are refused until resume.</summary>
    public Task<MigrationInfo> PauseMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        SimpleTransitionAsync(collection, id, "pause", MigrationPhase.Paused, "backfill paused", actor, cancellationToken, MigrationPhase.Backfilling);

    public Task<MigrationInfo> ResumeMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken) =>
        SimpleTransitionAsync(collection, id, "resume", MigrationPhase.Backfilling, "backfill resumed", actor, cancellationToken, MigrationPhase.Paused);

    /// <summary>
    /// Makes the new space the collection's default space, atomically with the phase change. FAILED_PRECONDITION while any
    /// item with an old vector lacks a new one. Old vectors stay until retire; writes keep both spaces filled until then.
    /// </summary>
    public async Task<MigrationInfo> CutoverMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "cut over", [MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver], cancellationToken);
        if (current is null || current.Phase == MigrationPhase.CutOver)
        {
            await ActivateReprojectionQueryMapAsync(state, current?.Row ?? stored, cancellationToken);
            return Describe(state, stored);
        }

        var cutOver = await TransitionAsync(state, id, "cut over", [MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused], actor,
            row =>
            {
                var missing = state.Read(s => MissingNew(s, row.FromSpace, row.ToSpace));
                if (missing > 0)
                {
                    throw RetrievalException.Precondition($"migration '{id}' cannot cut over: {missing} items have no vector in space '{row.ToSpace}' yet; finish the backfill first");
                }

                var definition = state.Definition with { DefaultSpace = row.ToSpace, UpdatedAt = DateTimeOffset.UtcNow };
                return (row with { Phase = MigrationPhase.CutOver, PreviousDefaultSpace = state.Definition.DefaultSpace }, $"default space {state.Definition.DefaultSpace} → {row.ToSpace}", definition, null);
            },
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, old.Details, old.DerivedIds),
            allowRepeat: false, cancellationToken);
        await ActivateReprojectionQueryMapAsync(state, cutOver.Row, cancellationToken);
        return cutOver;
    }

    /// <summary>
    /// Returns the collection to its behaviour before the migration, from any phase before retire: the default space is
    /// restored, the migration's maps stop routing and mixed search ends. Vectors written meanwhile are kept.
    /// </summary>
    public async Task<MigrationInfo> RollbackMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "roll back",
            [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated, MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver, MigrationPhase.RolledBack],
            cancellationToken);
        if (current is null)
        {
            // Already rolled back: make sure its maps are retired too (a crash may have come between the two commits).
            await RetireMigrationMapsAsync(state, stored, cancellationToken);
            await RetireReprojectionQueryMapAsync(state, stored, cancellationToken);
            return Describe(state, stored);
        }

        var info = await TransitionAsync(state, id, "roll back",
            [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated, MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver], actor,
            row =>
            {
                var restore = row.PreviousDefaultSpace is { } previous && state.Definition.FindSpace(previous) is not null && state.Definition.DefaultSpace != previous
                    ? state.Definition with { DefaultSpace = previous, UpdatedAt = DateTimeOffset.UtcNow }
                    : null;
                return (row with { Phase = MigrationPhase.RolledBack, CalibrationJson = WithProgressAtEnd(state) }, restore is null ? "rolled back" : $"rolled back; default space {state.Definition.DefaultSpace} → {restore.DefaultSpace}", restore, null);
            },
            (_, _) => null,
            allowRepeat: false, cancellationToken);
        await RetireMigrationMapsAsync(state, info.Row, cancellationToken);
        await RetireReprojectionQueryMapAsync(state, info.Row, cancellationToken);
        return info;
    }

    /// <summary>Ends a cut-over migration: deletes the old space with its vectors and index, and retires the migration's maps.</summary>
    public async Task<MigrationInfo> RetireMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "retire", [MigrationPhase.CutOver, MigrationPhase.Retired], cancellationToken);
        if (current is null)
        {
            await RetireMigrationMapsAsync(state, stored, cancellationToken);
            return Describe(state, stored);
        }

        var info = await TransitionAsync(state, id, "retire", [MigrationPhase.CutOver], actor,
            row =>
            {
                var definition = state.Definition;
                if (definition.DefaultSpace == row.FromSpace)
                {
                    throw RetrievalException.Precondition($"space '{row.FromSpace}' is the default space of collection '{collection}' again; make '{row.ToSpace}' the default or roll the migration back");
                }

                if (definition.Spaces.FirstOrDefault(s => s.CompatiblePrefixOf == row.FromSpace) is { } dependent)
                {
                    throw RetrievalException.Precondition($"space '{dependent.Name}' is declared compatiblePrefixOf '{row.FromSpace}'; delete it before retiring");
                }

                var updated = definition with { Spaces = definition.Spaces.Where(s => s.Name != row.FromSpace).ToList(), UpdatedAt = DateTimeOffset.UtcNow };
                return (row with { Phase = MigrationPhase.Retired, CalibrationJson = WithProgressAtEnd(state) }, $"old space {row.FromSpace} deleted", updated, row.FromSpace);
            },
            (_, _) => null,
            allowRepeat: false, cancellationToken);
        await RetireMigrationMapsAsync(state, info.Row, cancellationToken);
        return info;
    }

}

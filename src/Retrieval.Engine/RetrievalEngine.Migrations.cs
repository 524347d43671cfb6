using System.Security.Cryptography;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Maps;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine;

/// <summary>
/// The model-upgrade migration state machine (DESIGN §7): plan → fit → evaluate → activate → backfill (pause/resume) →
/// cutover → retire, rollback from any phase before retire. Every transition is one store transaction (compare-and-set on
/// the phase) taken under the collection's write gate, so it is ordered with writes; repeating a transition whose target
/// is already reached returns the migration unchanged, which makes every step safe to retry after a crash.
/// </summary>
public sealed partial class RetrievalEngine
{
    private const string DefaultActor = "api";

    /// <summary>Creates a migration in phase planned. At most one migration per collection is open at a time.</summary>
    public async Task<MigrationInfo> PlanMigrationAsync(string collection, MigrationPlan plan, string? actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var state = GetState(collection);
        var settings = ValidateSettings(plan.Settings);
        var id = string.IsNullOrEmpty(plan.Id) ? NewMigrationId() : plan.Id;
        Names.ValidateName(id, "id");
        var from = RequireSpace(state, string.IsNullOrEmpty(plan.FromSpace) ? state.Definition.DefaultSpace : plan.FromSpace, "fromSpace");
        var to = RequireSpace(state, plan.ToSpace, "toSpace");
        if (from.Name == to.Name)
        {
            throw RetrievalException.Invalid("toSpace", "must differ from fromSpace");
        }

        if (!string.IsNullOrEmpty(plan.Encoder) && FindProducer(new BackfillJob(state.Definition, from.Name, to, plan.Encoder), out var whyNot) is null)
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
        var state = GetState(collection);
        var rows = await _store.ListMigrationsAsync(collection, cancellationToken);
        return rows.Select(r => Describe(state, r)).ToList();
    }

    public async Task<MigrationInfo> GetMigrationAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        return Describe(state, await RequireStoredMigrationAsync(state, id, cancellationToken));
    }

    /// <summary>The audit trail of a migration, oldest first.</summary>
    public async Task<IReadOnlyList<MigrationEvent>> GetMigrationEventsAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        await RequireStoredMigrationAsync(state, id, cancellationToken);
        return await _store.ListMigrationEventsAsync(collection, id, cancellationToken);
    }

    /// <summary>
    /// Fits the new→old map and its old→new inverse on the same anchors (items holding both spaces, or inline pairs), and the
    /// score calibration; the maps are stored as drafts. Allowed in planned, fitted and evaluated (a refit replaces them).
    /// </summary>
    public async Task<MigrationInfo> FitMigrationAsync(string collection, string id, MigrationSettings? settings, IReadOnlyList<(float[] New, float[] Old)> anchors, IReadOnlyList<MapEvaluationQuery> evaluation, string? actor, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        var (current, _) = await FindMigrationAsync(state, id, "fit", [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated], cancellationToken);
        if (current is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' is closed");
        }

        var effective = settings is null ? MigrationSettings.Deserialize(current.Row.Settings) : ValidateSettings(settings);
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
        var forward = await FitMapAsync(collection, request, cancellationToken);
        var inverseKind = effective.MapKind is MapKind.Affine or MapKind.LambdaOrthogonal ? effective.MapKind : MapKind.Orthogonal;
        var inverse = await FitMapAsync(collection, request with
        {
            FromSpace = current.Row.FromSpace,
            ToSpace = current.Row.ToSpace,
            Kind = inverseKind,
            Anchors = anchors.Select(p => (p.Old, p.New)).ToList(),
            Evaluation = [],
        }, cancellationToken);

        var forwardMap = state.Maps.Find(forward.Id)!.Map;
        var inverseMap = state.Maps.Find(inverse.Id)!.Map;
        var (anchorSet, newKind, oldKind, normalize) = Read(state, s =>
        {
            var from = s.Definition.FindSpace(current.Row.FromSpace)!;
            var to = s.Definition.FindSpace(current.Row.ToSpace)!;
            var set = anchors.Count > 0 ? InlineAnchors(anchors, to, from) : AnchorSampler.Collect(s, to.Name, from.Name, effective.MaxAnchors, effective.Seed ?? 1);
            return (set, s.GetSpace(to.Name).ScoreKind, s.GetSpace(from.Name).ScoreKind, from.Metric == Metric.Cosine);
        });
        var calibration = await Task.Run(() => ScoreCalibrator.Fit(anchorSet, forwardMap, newKind, oldKind, normalize, effective.Seed ?? 1), cancellationToken);
        var details = new MigrationDetails { Calibration = calibration, Anchors = anchorSet.Count };
        var info = await TransitionAsync(state, id, "fit", [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated], actor,
            row => (row with { Phase = MigrationPhase.Fitted, Settings = effective.Serialize(), MapId = forward.Id, InverseMapId = inverse.Id, CalibrationJson = details.Serialize() },
                $"fitted {forward.Kind} map {forward.Id} (gate {forward.Report.Gate}) and inverse {inverse.Id} on {anchorSet.Count} anchors", null, null),
            (row, _) => new MigrationRuntime(row, forwardMap, inverseMap, details, new HashSet<string>(StringComparer.Ordinal)),
            allowRepeat: true, cancellationToken);
        MigrationLog.Fitted(_logger, collection, id, anchorSet.Count, calibration.Scale, calibration.Offset, calibration.Correlation, calibration.Pairs);
        return info;
    }

    /// <summary>
    /// Measures the fitted map on an evaluation set (queries embedded by both models with relevant ids): recall and mAP of
    /// old→old, new→new, new→old unmapped and mapped, and the BCT gate that activation honours.
    /// </summary>
    public async Task<MigrationInfo> EvaluateMigrationAsync(string collection, string id, IReadOnlyList<MapEvaluationQuery> evaluation, GateMetric? gateMetric, string? actor, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        var (current, _) = await FindMigrationAsync(state, id, "evaluate", [MigrationPhase.Fitted, MigrationPhase.Evaluated], cancellationToken);
        if (current is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' is closed");
        }

        if (evaluation.Count == 0)
        {
            throw RetrievalException.Invalid("evaluation.queries", "at least one evaluation query (both embeddings and relevant ids) is required");
        }

        var settings = MigrationSettings.Deserialize(current.Row.Settings);
        var metric = gateMetric ?? settings.GateMetric ?? new MapFitOptions().GateMetric;
        var fitReport = state.Maps.Find(current.Row.MapId!)!.Info.Report;
        var set = Read(state, s => EvaluationSetBuilder.Build(s, current.NewSpace(s.Definition), current.OldSpace(s.Definition), evaluation)!);
        var oldMetric = current.OldSpace(state.Definition).Metric;
        var scores = await Task.Run(() => MapEvaluator.Evaluate(current.Forward!, set, oldMetric), cancellationToken);
        var report = fitReport with { Evaluation = scores, GateMetric = metric, Gate = MapEvaluator.Gate(scores, metric) };
        var details = current.Details with { Evaluation = report };
        return await TransitionAsync(state, id, "evaluate", [MigrationPhase.Fitted, MigrationPhase.Evaluated], actor,
            row => (row with { Phase = MigrationPhase.Evaluated, CalibrationJson = details.Serialize() }, $"evaluated on {evaluation.Count} queries: gate {report.Gate}", null, null),
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, details, old.DerivedIds),
            allowRepeat: true, cancellationToken);
    }

    /// <summary>
    /// Activates the map: new-space queries now search the old index through it (mixed search), and writes keep both spaces
    /// filled. FAILED_PRECONDITION when the compatibility gate failed, unless <paramref name="force"/>.
    /// </summary>
    public async Task<MigrationInfo> ActivateMigrationAsync(string collection, string id, bool force, string? actor, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
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
        await ChangeMapStateAsync(state, current.Row.MapId!, MapState.Active, cancellationToken);
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
            throw RetrievalException.Invalid("itemsPerSecond", "must be a finite number ≥ 0 (0: unthrottled)");
        }

        var state = GetState(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "backfill", [MigrationPhase.Active, MigrationPhase.Backfilling], cancellationToken);
        if (current is null || current.Phase == MigrationPhase.Backfilling)
        {
            return Describe(state, stored);
        }

        return await TransitionAsync(state, id, "backfill", [MigrationPhase.Active], actor,
            row => (row with
            {
                Phase = MigrationPhase.Backfilling,
                Settings = itemsPerSecond is { } r ? (MigrationSettings.Deserialize(row.Settings) with { ItemsPerSecond = r }).Serialize() : row.Settings,
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
        var state = GetState(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "cut over", [MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver], cancellationToken);
        if (current is null || current.Phase == MigrationPhase.CutOver)
        {
            return Describe(state, stored);
        }

        return await TransitionAsync(state, id, "cut over", [MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused], actor,
            row =>
            {
                var missing = Read(state, s => MissingNew(s, row.FromSpace, row.ToSpace));
                if (missing > 0)
                {
                    throw RetrievalException.Precondition($"migration '{id}' cannot cut over: {missing} items have no vector in space '{row.ToSpace}' yet; finish the backfill first");
                }

                var definition = state.Definition with { DefaultSpace = row.ToSpace, UpdatedAt = DateTimeOffset.UtcNow };
                return (row with { Phase = MigrationPhase.CutOver, PreviousDefaultSpace = state.Definition.DefaultSpace }, $"default space {state.Definition.DefaultSpace} → {row.ToSpace}", definition, null);
            },
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, old.Details, old.DerivedIds),
            allowRepeat: false, cancellationToken);
    }

    /// <summary>
    /// Returns the collection to its behaviour before the migration, from any phase before retire: the default space is
    /// restored, the migration's maps stop routing and mixed search ends. Vectors written meanwhile are kept.
    /// </summary>
    public async Task<MigrationInfo> RollbackMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        var (current, stored) = await FindMigrationAsync(state, id, "roll back",
            [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated, MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver, MigrationPhase.RolledBack],
            cancellationToken);
        if (current is null)
        {
            // Already rolled back: make sure its maps are retired too (a crash may have come between the two commits).
            await RetireMigrationMapsAsync(state, stored, cancellationToken);
            return Describe(state, stored);
        }

        var info = await TransitionAsync(state, id, "roll back",
            [MigrationPhase.Planned, MigrationPhase.Fitted, MigrationPhase.Evaluated, MigrationPhase.Active, MigrationPhase.Backfilling, MigrationPhase.Paused, MigrationPhase.CutOver], actor,
            row =>
            {
                var restore = row.PreviousDefaultSpace is { } previous && state.Definition.FindSpace(previous) is not null && state.Definition.DefaultSpace != previous
                    ? state.Definition with { DefaultSpace = previous, UpdatedAt = DateTimeOffset.UtcNow }
                    : null;
                return (row with { Phase = MigrationPhase.RolledBack }, restore is null ? "rolled back" : $"rolled back; default space {state.Definition.DefaultSpace} → {restore.DefaultSpace}", restore, null);
            },
            (_, _) => null,
            allowRepeat: false, cancellationToken);
        await RetireMigrationMapsAsync(state, info.Row, cancellationToken);
        return info;
    }

    /// <summary>Ends a cut-over migration: deletes the old space with its vectors and index, and retires the migration's maps.</summary>
    public async Task<MigrationInfo> RetireMigrationAsync(string collection, string id, string? actor, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
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
                return (row with { Phase = MigrationPhase.Retired }, $"old space {row.FromSpace} deleted", updated, row.FromSpace);
            },
            (_, _) => null,
            allowRepeat: false, cancellationToken);
        await RetireMigrationMapsAsync(state, info.Row, cancellationToken);
        return info;
    }

    /// <summary>Progress of every open migration (for metrics).</summary>
    internal IEnumerable<(string Collection, string Migration, MigrationProgress Progress)> OpenMigrationProgress()
    {
        foreach (var state in _collections.Values)
        {
            if (!state.IsDeleted && state.Migration is { } migration)
            {
                yield return (state.Definition.Name, migration.Row.Id, Read(state, s => Progress(s, migration)));
            }
        }
    }

    private async Task<MigrationInfo> SimpleTransitionAsync(string collection, string id, string verb, MigrationPhase target, string note, string? actor, CancellationToken cancellationToken, params MigrationPhase[] from)
    {
        var state = GetState(collection);
        var (current, stored) = await FindMigrationAsync(state, id, verb, [.. from, target], cancellationToken);
        if (current is null || current.Phase == target)
        {
            return Describe(state, stored);
        }

        return await TransitionAsync(state, id, verb, from, actor,
            row => (row with { Phase = target }, note, null, null),
            (row, old) => new MigrationRuntime(row, old.Forward, old.Inverse, old.Details, old.DerivedIds),
            allowRepeat: false, cancellationToken);
    }

    /// <summary>
    /// The one way a phase changes: under the write gate, check the phase (a repeat of a reached target returns as is),
    /// commit compare-and-set (with the definition change, when any, in the same transaction), then update memory.
    /// </summary>
    private async Task<MigrationInfo> TransitionAsync(
        CollectionState state,
        string id,
        string verb,
        MigrationPhase[] allowed,
        string? actor,
        Func<StoredMigration, (StoredMigration Row, string Note, CollectionDefinition? Definition, string? RemovedSpace)> change,
        Func<StoredMigration, MigrationRuntime, MigrationRuntime?> runtime,
        bool allowRepeat,
        CancellationToken cancellationToken)
    {
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var current = state.Migration is { } open && open.Row.Id == id ? open : null;
            if (current is null || !allowed.Contains(current.Phase))
            {
                var row = current?.Row ?? await RequireStoredMigrationAsync(state, id, cancellationToken);
                throw IllegalTransition(row, verb, allowed);
            }

            var (updated, note, definition, removedSpace) = change(current.Row);
            updated = updated with { UpdatedAt = DateTimeOffset.UtcNow, ChangedBy = Actor(actor) };
            if (updated.Phase == current.Phase && !allowRepeat)
            {
                return Describe(state, current.Row);
            }

            if (!await _store.UpdateMigrationAsync(MigrationPhaseRules.PhaseChange(updated, current.Phase, note, definition, removedSpace), cancellationToken))
            {
                throw RetrievalException.Precondition($"migration '{id}' changed concurrently; read it again and retry");
            }

            var next = runtime(updated, current);
            Mutate(state, s =>
            {
                if (definition is not null)
                {
                    s.Redefine(definition);
                }

                s.Migration = next;
            });
            MigrationLog.PhaseChanged(_logger, state.Definition.Name, id, MigrationPhases.Name(current.Phase), MigrationPhases.Name(updated.Phase), updated.ChangedBy, note);
            return Describe(state, updated);
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    private async Task RetireMigrationMapsAsync(CollectionState state, StoredMigration row, CancellationToken cancellationToken)
    {
        foreach (var mapId in new[] { row.MapId, row.InverseMapId })
        {
            if (mapId is not null && state.Maps.Find(mapId) is { Info.State: not MapState.Retired })
            {
                await ChangeMapStateAsync(state, mapId, MapState.Retired, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The migration with this id checked against the phases the operation accepts (its target included, so a repeat
    /// passes): the open one, or a closed one (Open null) whose phase is that target. NotFound when unknown.
    /// </summary>
    private async Task<(MigrationRuntime? Open, StoredMigration Row)> FindMigrationAsync(
        CollectionState state, string? id, string verb, MigrationPhase[] allowed, CancellationToken cancellationToken)
    {
        var row = await RequireStoredMigrationAsync(state, id, cancellationToken);
        if (!allowed.Contains(row.Phase))
        {
            throw IllegalTransition(row, verb, allowed);
        }

        return (state.Migration is { } open && open.Row.Id == id ? open : null, row);
    }

    private async Task<StoredMigration> RequireStoredMigrationAsync(CollectionState state, string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw RetrievalException.Invalid("id", "is required");
        }

        if (state.Migration is { } open && open.Row.Id == id)
        {
            return open.Row;
        }

        return await _store.GetMigrationAsync(state.Definition.Name, id, cancellationToken)
            ?? throw RetrievalException.NotFound($"migration '{id}' not found in collection '{state.Definition.Name}'");
    }

    private static RetrievalException IllegalTransition(StoredMigration row, string verb, IEnumerable<MigrationPhase> allowed) =>
        RetrievalException.Precondition(
            $"cannot {verb} migration '{row.Id}' in {MigrationPhaseNames.Of(row.Phase)}; allowed in: {string.Join(", ", allowed.Select(MigrationPhases.Name).Distinct())}");

    private static MigrationInfo Describe(CollectionState state, StoredMigration row)
    {
        var open = state.Migration is { } m && m.Row.Id == row.Id ? m : null;
        var stored = open?.Row ?? row;
        var progress = open is null ? MigrationProgress.None : Read(state, s => Progress(s, open));
        return new MigrationInfo(stored, MigrationSettings.Deserialize(stored.Settings), open?.Details ?? MigrationDetails.Deserialize(stored.CalibrationJson), progress);
    }

    private static MigrationProgress Progress(CollectionState state, MigrationRuntime migration)
    {
        var definition = state.Definition;
        if (definition.FindSpace(migration.Row.ToSpace) is null || definition.FindSpace(migration.Row.FromSpace) is null)
        {
            return MigrationProgress.None;
        }

        var withNew = state.GetSpace(migration.Row.ToSpace).Count;
        var derived = migration.DerivedIds.Count;
        return new MigrationProgress(state.Items.Count, withNew - derived, derived, MissingNew(state, migration.Row.FromSpace, migration.Row.ToSpace), LeftForClient(state, migration));
    }

    /// <summary>
    /// Items the server-side walk has passed (ordinal id ≤ its cursor) that still lack a native new vector and that it will
    /// not produce: not derived (those are walked again at the end) unless the producer already gave up on them. Caller
    /// holds a collection lock.
    /// </summary>
    private static long LeftForClient(CollectionState state, MigrationRuntime migration)
    {
        if (migration.Row.Encoder is null || migration.Row.WorkerCursor is not { } cursor)
        {
            return 0;
        }

        return state.GetSpace(migration.Row.FromSpace).Slots().LongCount(slot =>
        {
            var id = state.Items[slot]!.Id;
            return string.CompareOrdinal(id, cursor) <= 0 && !migration.IsNative(state, slot)
                && (!migration.DerivedIds.Contains(id) || migration.LeftForClient.Contains(id));
        });
    }

    /// <summary>Items holding an old vector but no new one. Caller holds a collection lock.</summary>
    private static long MissingNew(CollectionState state, string fromSpace, string toSpace)
    {
        var next = state.GetSpace(toSpace);
        return state.GetSpace(fromSpace).Slots().LongCount(slot => !next.Contains(slot));
    }

    private static MigrationSettings ValidateSettings(MigrationSettings? settings)
    {
        settings ??= new MigrationSettings();
        if (!Enum.IsDefined(settings.MapKind) || settings.MapKind is MapKind.Composed or MapKind.External)
        {
            throw RetrievalException.Invalid("settings.mapKind", "must be one of the fitted MAP_KIND_* values (not external)");
        }

        if (settings.HeldOutFraction is { } held && (!double.IsFinite(held) || held < 0 || held >= 1))
        {
            throw RetrievalException.Invalid("settings.heldOutFraction", "must be in [0, 1)");
        }

        if (settings.MaxAnchors < 0)
        {
            throw RetrievalException.Invalid("settings.maxAnchors", "must be ≥ 0 (0: all)");
        }

        if (!double.IsFinite(settings.ItemsPerSecond) || settings.ItemsPerSecond < 0)
        {
            throw RetrievalException.Invalid("settings.itemsPerSecond", "must be a finite number ≥ 0 (0: unthrottled)");
        }

        return settings;
    }

    /// <summary>Loads the collection's open migration at start: its maps from the registry and its derived-item marks.</summary>
    private async Task LoadMigrationAsync(CollectionState state, CancellationToken cancellationToken)
    {
        var open = (await _store.ListMigrationsAsync(state.Definition.Name, cancellationToken)).FirstOrDefault(m => MigrationPhaseRules.IsOpen(m.Phase));
        if (open is null)
        {
            return;
        }

        var derived = await _store.ListDerivedItemsAsync(state.Definition.Name, open.Id, cancellationToken);
        var forward = open.MapId is null ? null : state.Maps.Find(open.MapId)?.Map;
        var inverse = open.InverseMapId is null ? null : state.Maps.Find(open.InverseMapId)?.Map;
        state.Migration = new MigrationRuntime(open, forward, inverse, MigrationDetails.Deserialize(open.CalibrationJson), new HashSet<string>(derived, StringComparer.Ordinal));
        MigrationLog.Loaded(_logger, state.Definition.Name, open.Id, MigrationPhases.Name(open.Phase), derived.Count);
    }

    private static string Actor(string? actor) => string.IsNullOrWhiteSpace(actor) ? DefaultActor : actor.Trim()[..Math.Min(actor.Trim().Length, 128)];

    private static string NewMigrationId() => "mig-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}

using System.Security.Cryptography;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>The one way a phase changes, and the lookups, progress and loading every operation shares.</summary>
internal sealed partial class MigrationCoordinator
{
    /// <summary>Progress of every open migration (for metrics).</summary>
    public IEnumerable<(string Collection, string Migration, MigrationProgress Progress)> OpenMigrationProgress()
    {
        foreach (var state in _catalog.All)
        {
            if (state.Migration is { } migration)
            {
                yield return (state.Definition.Name, migration.Row.Id, state.Read(s => Progress(s, migration)));
            }
        }
    }

    /// <summary>Online-refit status of every open migration that keeps learning (for metrics).</summary>
    public IEnumerable<(string Collection, string Migration, OnlineRefitStatus Status)> OpenMigrationRefits()
    {
        foreach (var state in _catalog.All)
        {
            if (state.Migration is { } migration && OnlineRefitter.Status(state, migration) is { } status)
            {
                yield return (state.Definition.Name, migration.Row.Id, status);
            }
        }
    }

    private async Task<MigrationInfo> SimpleTransitionAsync(string collection, string id, string verb, MigrationPhase target, string note, string? actor, CancellationToken cancellationToken, params MigrationPhase[] from)
    {
        var state = _catalog.Get(collection);
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
    private Task<MigrationInfo> TransitionAsync(
        CollectionState state,
        string id,
        string verb,
        MigrationPhase[] allowed,
        string? actor,
        Func<StoredMigration, (StoredMigration Row, string Note, CollectionDefinition? Definition, string? RemovedSpace)> change,
        Func<StoredMigration, MigrationRuntime, MigrationRuntime?> runtime,
        bool allowRepeat,
        CancellationToken cancellationToken) =>
        TransitionAsync(state, id, verb, allowed, actor, change, runtime, allowRepeat, null, cancellationToken);

    /// <summary>As above; <paramref name="amend"/> adds to the store update what only this transition writes (fit's seed statistics, evaluation queries).</summary>
    private async Task<MigrationInfo> TransitionAsync(
        CollectionState state,
        string id,
        string verb,
        MigrationPhase[] allowed,
        string? actor,
        Func<StoredMigration, (StoredMigration Row, string Note, CollectionDefinition? Definition, string? RemovedSpace)> change,
        Func<StoredMigration, MigrationRuntime, MigrationRuntime?> runtime,
        bool allowRepeat,
        Func<MigrationUpdate, MigrationUpdate>? amend,
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

            var (updated, note, changed, removedSpace) = change(current.Row);
            var definition = changed is null ? null : changed with { Version = state.Definition.Version + 1 };
            updated = updated with { UpdatedAt = DateTimeOffset.UtcNow, ChangedBy = Actor(actor) };
            if (updated.Phase == current.Phase && !allowRepeat)
            {
                return Describe(state, current.Row);
            }

            var update = MigrationPhaseRules.PhaseChange(updated, current.Phase, note, definition, removedSpace);
            update = amend is null ? update : amend(update);
            if (!await _store.UpdateMigrationAsync(update, cancellationToken))
            {
                throw RetrievalException.Precondition($"migration '{id}' changed concurrently; read it again and retry");
            }

            var next = runtime(updated, current);
            // Learning is carried over unless the update replaced the stored statistics (fit: what it stored, or none).
            if (next is not null && next.Learning is null && !update.ReplaceStatistics)
            {
                next.Learning = current.Learning;
            }

            if (next is not null && next.EvaluationQueries.Count == 0)
            {
                next.EvaluationQueries = current.EvaluationQueries;
            }

            state.Write(s =>
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
                await _maps.ChangeStateAsync(state, mapId, MapState.Retired, cancellationToken);
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

    public async Task<StoredMigration> RequireStoredMigrationAsync(CollectionState state, string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw RetrievalException.Invalid(FieldPath.Of("id"), "is required");
        }

        if (state.Migration is { } open && open.Row.Id == id)
        {
            return open.Row;
        }

        return await _store.GetMigrationAsync(state.Definition.Name, id, cancellationToken)
            ?? throw RetrievalException.NotFound($"migration '{id}' not found in collection '{state.Definition.Name}'");
    }

    public static RetrievalException IllegalTransition(StoredMigration row, string verb, IEnumerable<MigrationPhase> allowed) =>
        RetrievalException.Precondition(
            $"cannot {verb} migration '{row.Id}' in {MigrationPhaseNames.Of(row.Phase)}; allowed in: {string.Join(", ", allowed.Select(MigrationPhases.Name).Distinct())}");

    public static MigrationInfo Describe(CollectionState state, StoredMigration row)
    {
        var open = state.Migration is { } m && m.Row.Id == row.Id ? m : null;
        var stored = open?.Row ?? row;
        var details = open?.Details ?? MigrationDetails.Deserialize(stored.CalibrationJson);

        // A closed migration has no live progress (its runtime is gone, and after retire so is the old space): it shows the
        // figures recorded when it ended, or none for one that ended before they were recorded.
        var progress = open is null ? details.ProgressAtEnd : state.Read(s => Progress(s, open));
        return new MigrationInfo(stored, MigrationParameters.Deserialize(stored.Settings), details, progress) { Refit = open is null ? null : OnlineRefitter.Status(state, open) };
    }

    /// <summary>
    /// The open migration's details with its progress at this moment recorded, for the row of the transition that ends it
    /// (rollback, retire). Caller holds the write gate, so no write moves the figures meanwhile.
    /// </summary>
    private static string WithProgressAtEnd(CollectionState state)
    {
        var open = state.Migration!;
        return (open.Details with { ProgressAtEnd = state.Read(s => Progress(s, open)) }).Serialize();
    }

    public static MigrationProgress Progress(CollectionState state, MigrationRuntime migration)
    {
        var definition = state.Definition;
        if (definition.FindSpace(migration.Row.ToSpace) is null || definition.FindSpace(migration.Row.FromSpace) is null)
        {
            return MigrationProgress.None;
        }

        var withNew = state.CountIn(migration.Row.ToSpace);
        var derived = migration.DerivedIds.Count;
        return new MigrationProgress(state.ItemCount, withNew - derived, derived, MissingNew(state, migration.Row.FromSpace, migration.Row.ToSpace), LeftForClient(state, migration));
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

        return state.Shards.Sum(shard => shard.GetSpace(migration.Row.FromSpace).Slots().LongCount(slot =>
        {
            var id = shard.Items[slot]!.Id;
            return string.CompareOrdinal(id, cursor) <= 0 && !migration.IsNative(shard, slot)
                && (!migration.DerivedIds.Contains(id) || migration.LeftForClient.Contains(id));
        }));
    }

    /// <summary>Items holding an old vector but no new one, over every shard. Caller holds a collection lock.</summary>
    private static long MissingNew(CollectionState state, string fromSpace, string toSpace) =>
        state.Shards.Sum(shard =>
        {
            var next = shard.GetSpace(toSpace);
            return shard.GetSpace(fromSpace).Slots().LongCount(slot => !next.Contains(slot));
        });

    private static MigrationParameters ValidateSettings(MigrationParameters? settings)
    {
        settings ??= new MigrationParameters();
        if (!Enum.IsDefined(settings.MapKind) || settings.MapKind is MapKind.Composed or MapKind.External)
        {
            throw RetrievalException.Invalid(FieldPath.Of("settings").Member("mapKind"), "must be one of the fitted MAP_KIND_* values (not external)");
        }

        if (settings.MapKind == MapKind.TwoSided)
        {
            throw RetrievalException.Invalid(FieldPath.Of("settings").Member("mapKind"), "a two-sided pair is fitted with maps fit and named by settings.twoSidedMap; mapKind is the kind of the migration's forward map");
        }

        if (settings.HeldOutFraction is { } held && (!double.IsFinite(held) || held < 0 || held >= 1))
        {
            throw RetrievalException.Invalid(FieldPath.Of("settings").Member("heldOutFraction"), "must be in [0, 1)");
        }

        if (settings.MaxAnchors < 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("settings").Member("maxAnchors"), "must be ≥ 0 (0: all)");
        }

        if (!double.IsFinite(settings.ItemsPerSecond) || settings.ItemsPerSecond < 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("settings").Member("itemsPerSecond"), "must be a finite number ≥ 0 (0: unthrottled)");
        }

        settings.Refit.Validate();

        return settings;
    }

    /// <summary>Loads the collection's open migration at start: its maps from the registry and its derived-item marks.</summary>
    public async Task LoadAsync(CollectionState state, CancellationToken cancellationToken)
    {
        var open = (await _store.ListMigrationsAsync(state.Definition.Name, cancellationToken)).FirstOrDefault(m => MigrationPhaseRules.IsOpen(m.Phase));
        if (open is null)
        {
            // Read again on a cluster node: a migration another node closed is closed here too.
            state.Migration = null;
            return;
        }

        var derived = await _store.ListDerivedItemsAsync(state.Definition.Name, open.Id, cancellationToken);
        var forward = open.MapId is null ? null : state.Maps.Find(open.MapId)?.Map;
        var inverse = open.InverseMapId is null ? null : state.Maps.Find(open.InverseMapId)?.Map;
        // Read again on a cluster node: what lives only in this node's memory (the evaluation queries seen here, the
        // items its worker left for the client) stays with the same migration, as a phase change here keeps it.
        var previous = state.Migration is { } loaded && loaded.Row.Id == open.Id ? loaded : null;
        // The evaluation queries change only with a phase change (fit, evaluate), which moves the row's updated_at: a
        // reload after other nodes' batches keeps the ones in memory instead of reading them again.
        // (Stores keep microseconds; memory keeps ticks.)
        var evaluation = previous is not null && Math.Abs((previous.Row.UpdatedAt - open.UpdatedAt).Ticks) < TimeSpan.TicksPerMillisecond / 1000 ? previous.EvaluationQueries
            : await _store.GetMigrationEvaluationQueriesAsync(open.Collection, open.Id, cancellationToken) is { } stored ? EvaluationQueryCodec.Deserialize(stored) : [];
        var reloaded = new MigrationRuntime(open, forward, inverse, MigrationDetails.Deserialize(open.CalibrationJson), new HashSet<string>(derived, StringComparer.Ordinal))
        {
            Learning = await OnlineRefitter.LoadLearningAsync(_store, open, cancellationToken),
            EvaluationQueries = evaluation,
        };
        if (previous is not null)
        {
            reloaded.LeftForClient.UnionWith(previous.LeftForClient);
        }

        state.Migration = reloaded;
        MigrationLog.Loaded(_logger, state.Definition.Name, open.Id, MigrationPhases.Name(open.Phase), derived.Count);
    }

    private static string Actor(string? actor) => string.IsNullOrWhiteSpace(actor) ? DefaultActor : actor.Trim()[..Math.Min(actor.Trim().Length, 128)];

    private static string NewMigrationId() => "mig-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}

using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Maps;

/// <summary>
/// A collection's compatibility maps: fit (anchors from the collection or the request, evaluated, stored as a draft),
/// list, activate (retiring the previous active map of the pair), retire, and their loading at start-up.
/// </summary>
internal sealed partial class MapService
{
    private readonly CollectionCatalog _catalog;
    private readonly IMapStore _store;
    private readonly ILogger _logger;
    private readonly double _autoBudgetSeconds;

    // autoBudgetSeconds: the default time budget of a MapKind.Auto fit (EngineOptions.AutoMapBudgetSeconds).
    public MapService(CollectionCatalog catalog, IMapStore store, ILogger logger, double autoBudgetSeconds)
    {
        // A bad configured budget stops the start rather than failing every automatic fit later.
        if (!(autoBudgetSeconds >= 0) || double.IsPositiveInfinity(autoBudgetSeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(autoBudgetSeconds), autoBudgetSeconds, "Retrieval:Limits:AutoMapBudgetSeconds must be finite and ≥ 0");
        }

        _catalog = catalog;
        _store = store;
        _logger = logger;
        _autoBudgetSeconds = autoBudgetSeconds;
    }

    /// <summary>
    /// Fits a compatibility map from anchors (the collection's items holding vectors in both spaces, or the request's pairs),
    /// evaluates it and stores it as a draft. Synchronous: returns once the map and its report are committed.
    /// </summary>
    public async Task<MapInfo> FitAsync(string collection, MapFitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = _catalog.Get(collection);
        var from = RequireSpace(state, request.FromSpace, FieldPath.Of("fromSpace"));
        var to = RequireSpace(state, request.ToSpace, FieldPath.Of("toSpace"));
        if (from.Name == to.Name)
        {
            throw RetrievalException.Invalid(FieldPath.Of("toSpace"), "must differ from fromSpace");
        }

        if (!Enum.IsDefined(request.Kind) || request.Kind == MapKind.Composed)
        {
            throw RetrievalException.Invalid(FieldPath.Of("kind"), "must be one of the MAP_KIND_* values");
        }

        if (request.MaxAnchors < 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("maxAnchors"), "must be ≥ 0 (0: all)");
        }

        var defaults = new MapFitOptions();
        var options = new MapFitOptions
        {
            Kind = request.Kind,
            HeldOutFraction = request.HeldOutFraction ?? defaults.HeldOutFraction,
            Seed = request.Seed ?? defaults.Seed,
            Alpha = request.Alpha ?? defaults.Alpha,
            Lambda = request.Lambda ?? defaults.Lambda,
            TargetMetric = to.Metric,
            GateMetric = request.GateMetric ?? defaults.GateMetric,
            External = request.External,
            Auto = defaults.Auto with { BudgetSeconds = request.AutoBudgetSeconds ?? _autoBudgetSeconds },
        };

        if (request.Kind == MapKind.TwoSided || !string.IsNullOrEmpty(request.JointSpace) || request.JointRegularization is not null)
        {
            return await FitTwoSidedAsync(state, from, to, request, options, cancellationToken);
        }

        // Everything read from the collection is copied under the read lock; the fit itself runs without it.
        var (anchors, evaluation) = state.Read(s => (
            request.Anchors.Count > 0 ? InlineAnchors(request.Anchors, from, to) : AnchorSampler.Collect(s, from.Name, to.Name, request.MaxAnchors, options.Seed),
            EvaluationSetBuilder.Build(s, from, to, request.Evaluation)));
        var result = await Task.Run(() => MapPipeline.Run(anchors, options, evaluation), cancellationToken);

        var now = DateTimeOffset.UtcNow;
        var info = new MapInfo(NewMapId(), collection, from.Name, to.Name, result.Map.Kind, MapState.Draft, result.Report, now, now);
        await state.Maps.Gate.WaitAsync(cancellationToken);
        try
        {
            await _store.SaveMapAsync(ToStored(info, result.Map), cancellationToken);
            state.Maps.Add(new RegisteredMap(info, result.Map));
        }
        finally
        {
            state.Maps.Gate.Release();
        }

        Log.MapFitted(_logger, collection, info.Id, info.Kind, from.Name, to.Name, result.Report.Gate);
        if (result.Report.AutoSelection is { } selection)
        {
            Log.MapKindChosen(_logger, collection, info.Id, selection.Reason);
        }

        return info;
    }

    public IReadOnlyList<MapInfo> List(string collection) => _catalog.Get(collection).Maps.List();

    public MapInfo Get(string collection, string id) => RequireMap(_catalog.Get(collection), id).Info;

    /// <summary>
    /// Makes the map the active one of its (from, to) pair, retiring the previous one in the same store transaction.
    /// FAILED_PRECONDITION when its compatibility gate failed, unless <paramref name="force"/>.
    /// </summary>
    public Task<MapInfo> ActivateAsync(string collection, string id, bool force, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var map = RequireMap(state, id);
        if (map.Info.Report.Gate == GateOutcome.Failed && !force)
        {
            throw RetrievalException.Precondition($"map '{id}' failed its compatibility gate ({GateReason.Describe(map.Info.Report)}); activate with force to use it anyway");
        }

        RequireCompleteJointSpace(state, map.Info);
        if (MigrationHolding(state, map.Info) is { } held && held.MapId != id)
        {
            throw RetrievalException.Precondition(
                $"map '{id}' would replace map '{held.MapId}' of migration '{held.Migration}' ({held.Phase}), which routes {map.Info.FromSpace} → {map.Info.ToSpace} while it is open; roll the migration back or retire it first");
        }

        return ChangeStateAsync(state, id, MapState.Active, cancellationToken);
    }

    /// <summary>Stops a map from routing queries; it stays listed with its report.</summary>
    public Task<MapInfo> RetireAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        var map = RequireMap(state, id);
        if (MigrationHolding(state, map.Info) is { } held && held.MapId == id)
        {
            throw RetrievalException.Precondition(
                $"map '{id}' belongs to migration '{held.Migration}' ({held.Phase}); roll the migration back or retire it, which retires its maps");
        }

        return ChangeStateAsync(state, id, MapState.Retired, cancellationToken);
    }

    /// <summary>
    /// The open migration's map (forward or inverse) routing the same (from, to) pair as <paramref name="map"/>, or null.
    /// An open migration owns its maps until it ends (docs/decisions.md, "A migration owns its maps"): mixed search and
    /// write-time mapping use them, so hand activations and retirements that would take them out are refused.
    /// </summary>
    private static (string Migration, string MapId, string Phase)? MigrationHolding(CollectionState state, MapInfo map)
    {
        if (state.Migration is not { } migration)
        {
            return null;
        }

        foreach (var ownedId in new[] { migration.Row.MapId, migration.Row.InverseMapId })
        {
            if (ownedId is not null && state.Maps.Find(ownedId) is { } owned
                && owned.Info.FromSpace == map.FromSpace && owned.Info.ToSpace == map.ToSpace)
            {
                return (migration.Row.Id, ownedId, Migrations.MigrationPhaseNames.Of(migration.Phase));
            }
        }

        return null;
    }

    /// <summary>Moves a map to <paramref name="target"/> in the store, then in the registry.</summary>
    public async Task<MapInfo> ChangeStateAsync(CollectionState state, string id, MapState target, CancellationToken cancellationToken)
    {
        MapInfo info;
        await state.Maps.Gate.WaitAsync(cancellationToken);
        try
        {
            var now = DateTimeOffset.UtcNow;
            if (!await _store.SetMapStateAsync(state.Definition.Name, id, target, now, cancellationToken))
            {
                throw RetrievalException.NotFound($"map '{id}' not found in collection '{state.Definition.Name}'");
            }

            info = state.Maps.SetState(id, target, now);
        }
        finally
        {
            state.Maps.Gate.Release();
        }

        Log.MapStateChanged(_logger, state.Definition.Name, id, target);
        return info;
    }

    /// <summary>
    /// Replaces a map's report in the store, then in the registry: a migration's evaluation decides the gate of the map it
    /// fitted, so <c>maps list</c> shows that gate rather than the fit's NotEvaluated.
    /// </summary>
    public async Task<MapInfo> SetReportAsync(CollectionState state, string id, MapReport report, CancellationToken cancellationToken)
    {
        MapInfo info;
        await state.Maps.Gate.WaitAsync(cancellationToken);
        try
        {
            var now = DateTimeOffset.UtcNow;
            if (!await _store.SetMapReportAsync(state.Definition.Name, id, MapReportJson.Serialize(report), now, cancellationToken))
            {
                throw RetrievalException.NotFound($"map '{id}' not found in collection '{state.Definition.Name}'");
            }

            info = state.Maps.SetReport(id, report, now);
        }
        finally
        {
            state.Maps.Gate.Release();
        }

        return info;
    }

    /// <summary>Loads a collection's maps at start; routes are composed lazily on first use.</summary>
    public async Task LoadAsync(CollectionState state, CancellationToken cancellationToken)
    {
        foreach (var map in await ReadAsync(state, cancellationToken))
        {
            state.Maps.Add(map);
        }
    }

    /// <summary>
    /// Replaces the collection's maps with the store's (a cluster node follows changes made on another), under the
    /// registry's gate so that no local change is half applied meanwhile.
    /// </summary>
    public async Task ReloadAsync(CollectionState state, CancellationToken cancellationToken)
    {
        await state.Maps.Gate.WaitAsync(cancellationToken);
        try
        {
            state.Maps.ReplaceAll(await ReadAsync(state, cancellationToken));
        }
        finally
        {
            state.Maps.Gate.Release();
        }
    }

    private async Task<List<RegisteredMap>> ReadAsync(CollectionState state, CancellationToken cancellationToken) =>
        [.. (await _store.ListMapsAsync(state.Definition.Name, cancellationToken)).Select(stored => new RegisteredMap(
            new MapInfo(stored.Id, stored.Collection, stored.FromSpace, stored.ToSpace, stored.Kind, stored.State,
                MapReportJson.Deserialize(stored.ReportJson), stored.CreatedAt, stored.UpdatedAt),
            MapSerializer.Deserialize(stored.Data)))];

    private static StoredMap ToStored(MapInfo info, CompatibilityMap map) => new(
        info.Id, info.Collection, info.FromSpace, info.ToSpace, info.Kind, info.State,
        MapSerializer.Serialize(map), MapReportJson.Serialize(info.Report), info.CreatedAt, info.UpdatedAt);

    /// <summary>The dense space named by a request field; INVALID_ARGUMENT when missing, unknown or multi-vector.</summary>
    public static SpaceDefinition RequireSpace(CollectionState state, string? name, FieldPath field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw RetrievalException.Invalid(field, "is required");
        }

        var space = state.Definition.FindSpace(name)
            ?? throw RetrievalException.Invalid(field, $"unknown space '{name}' in collection '{state.Definition.Name}'");
        return space.IsMulti
            ? throw RetrievalException.Invalid(field, $"space '{name}' is multi-vector; compatibility maps join dense spaces")
            : space;
    }

    private static RegisteredMap RequireMap(CollectionState state, string? id) =>
        string.IsNullOrEmpty(id)
            ? throw RetrievalException.Invalid(FieldPath.Of("id"), "is required")
            : state.Maps.Find(id) ?? throw RetrievalException.NotFound($"map '{id}' not found in collection '{state.Definition.Name}'");

    /// <summary>Anchor pairs given in a request, checked against the two spaces.</summary>
    public static AnchorSet InlineAnchors(IReadOnlyList<(float[] New, float[] Old)> pairs, SpaceDefinition from, SpaceDefinition to)
    {
        var newVectors = new float[pairs.Count * from.Dimension];
        var oldVectors = new float[pairs.Count * to.Dimension];
        for (var i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].New.Length != from.Dimension || pairs[i].Old.Length != to.Dimension)
            {
                throw RetrievalException.Invalid(FieldPath.Of("anchors").Index(i), $"expected {from.Dimension} new and {to.Dimension} old values, got {pairs[i].New.Length} and {pairs[i].Old.Length}");
            }

            pairs[i].New.CopyTo(newVectors, i * from.Dimension);
            pairs[i].Old.CopyTo(oldVectors, i * to.Dimension);
        }

        // AnchorSet refuses NaN and infinities with field "anchors".
        return new AnchorSet(newVectors, from.Dimension, oldVectors, to.Dimension);
    }

    /// <summary>A short random id: unguessable enough to avoid collisions, short enough to type on the CLI.</summary>
    private static string NewMapId() => "map-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.Maps;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Online refit (issue 18): while a migration backfills, refits its new→old map from the streamed statistics (or, for the
/// kinds trained on pairs, from the reservoir sample) when the schedule says so, judges the candidate against the serving
/// map on the same held-out pairs, and promotes it when it is better by the margin. A promotion is one store transaction
/// (the new map stored active, the previous one retired, the migration row naming the new map with its refitted
/// calibration), then one swap of the in-memory runtime, so mixed search and <c>mapsUsed</c> move to the new version
/// together. Every refit's report is kept in the migration's details, promoted or not.
/// </summary>
internal sealed class OnlineRefitter : IAsyncDisposable
{
    /// <summary>Anchors sampled from the collection to refit the score calibration of a promoted map.</summary>
    private const int CalibrationAnchors = 5000;

    private const string Actor = "refit";

    private readonly CollectionCatalog _catalog;
    private readonly IMigrationStore _store;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public OnlineRefitter(CollectionCatalog catalog, IMigrationStore store, ILogger logger)
    {
        _catalog = catalog;
        _store = store;
        _logger = logger;
    }

    /// <summary>The stored learning of a migration being loaded at start; null when no batch stored any.</summary>
    public static async Task<OnlineRefitLearning?> LoadLearningAsync(IMigrationStore store, StoredMigration migration, CancellationToken cancellationToken)
    {
        var stored = await store.GetMigrationStatisticsAsync(migration.Collection, migration.Id, cancellationToken);
        return stored is null ? null : OnlineRefitLearning.FromStored(stored, MigrationParameters.Deserialize(migration.Settings).Refit.ReservoirSize, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// After a backfill batch committed: starts a refit in the background when one is due and none is running for the
    /// migration. Never throws; a failed refit is logged and the next batch tries again.
    /// </summary>
    public void BatchCommitted(CollectionState state)
    {
        if (state.Migration is not { Phase: MigrationPhase.Backfilling, Learning: { } learning } migration || Schedule(migration, learning) is not { Due: true })
        {
            return;
        }

        var collection = state.Definition.Name;
        var id = migration.Row.Id;
        var key = collection + "\n" + id;
        lock (_sync)
        {
            if (_stopping.IsCancellationRequested || (_running.TryGetValue(key, out var running) && !running.IsCompleted))
            {
                return;
            }

            _running[key] = Task.Run(() => RunInBackgroundAsync(collection, id));
        }
    }

    /// <summary>Completes once no background refit is running (tests, benchmarks and shutdown wait on it).</summary>
    public async Task WhenIdleAsync()
    {
        Task[] running;
        lock (_sync)
        {
            running = [.. _running.Values];
        }

        await Task.WhenAll(running);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await WhenIdleAsync();
        _stopping.Dispose();
    }

    /// <summary>
    /// When the next refit is due: the streamed pair count it waits for, and the time after which any new pair makes it
    /// due (null when the time rule is off). Due now when either rule holds and the stream has pairs a refit has not seen.
    /// </summary>
    public static (bool Due, long NextAtPairs, DateTimeOffset? NextAt) Schedule(MigrationRuntime migration, OnlineRefitLearning learning)
    {
        var settings = MigrationParameters.Deserialize(migration.Row.Settings).Refit;
        var refit = migration.Details.Refit;
        if (!settings.Enabled || learning.Statistics is null)
        {
            return (false, 0, null);
        }

        // Counted from the seed: a first refit right after seeding would fit what fit already saw.
        var last = Math.Max(refit?.PairsAtLastRefit ?? 0, learning.SeedPairs);
        var nextAtPairs = last + settings.EveryPairs;
        DateTimeOffset? nextAt = settings.EverySeconds > 0 ? (refit?.LastRefitAt ?? learning.StartedAt).AddSeconds(settings.EverySeconds) : null;
        var total = learning.TotalPairs;
        var fresh = total > last && total > learning.FailedAtPairs;
        var due = fresh && (total >= nextAtPairs || (nextAt is { } at && DateTimeOffset.UtcNow >= at));
        return (due, nextAtPairs, nextAt);
    }

    /// <summary>
    /// Refits the open migration's map now, whatever the schedule: fit, judge, promote when better. Returns the refit's
    /// report. FAILED_PRECONDITION when the migration is not backfilling (or paused) or has no pairs yet.
    /// </summary>
    public async Task<MapVersionReport> RefitAsync(string collection, string id, CancellationToken cancellationToken)
    {
        var state = _catalog.Get(collection);
        if (state.Migration is not { } migration || migration.Row.Id != id)
        {
            throw RetrievalException.Precondition($"migration '{id}' is not the open migration of collection '{collection}'");
        }

        if (migration.Phase is not (MigrationPhase.Backfilling or MigrationPhase.Paused) || migration.Forward is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' is {MigrationPhaseNames.Of(migration.Phase)}; maps are refitted while it backfills");
        }

        var watch = Stopwatch.StartNew();
        var snapshot = state.Read(s => Snapshot(s, migration));
        if (snapshot is null)
        {
            throw RetrievalException.Precondition($"migration '{id}' has no streamed pairs yet; its statistics start with the first backfill batch");
        }

        var (candidate, figures, fitPairs) = await Task.Run(() => FitAndJudge(snapshot), cancellationToken);
        var serving = figures.Serving;
        var settings = snapshot.Parameters.Refit;
        var promote = candidate is not null && figures.Candidate is { } better && better.Score > serving.Score + settings.PromotionMargin;
        var version = (migration.Details.Refit?.MapVersion ?? 1) + (promote ? 1 : 0);
        var report = new MapVersionReport
        {
            Version = version,
            MapId = promote ? VersionedId(migration.Row.MapId!, version) : null,
            Promoted = promote,
            At = DateTimeOffset.UtcNow,
            Kind = snapshot.Kind,
            FitPairs = fitPairs,
            HeldOutPairs = snapshot.HeldOut.Count,
            Candidate = figures.Candidate ?? serving with { Score = double.NaN },
            Serving = serving,
            Seconds = watch.Elapsed.TotalSeconds,
            Reason = figures.Reason ?? (promote
                ? Inv($"held-out score {figures.Candidate!.Score:F4} beats the serving map's {serving.Score:F4} by more than {settings.PromotionMargin:G3}")
                : Inv($"held-out score {figures.Candidate!.Score:F4} does not beat the serving map's {serving.Score:F4} by more than {settings.PromotionMargin:G3}")),
        };

        if (candidate is null)
        {
            state.Write(_ => snapshot.Learning.FailedAtPairs = snapshot.TotalPairs);
        }

        ScoreCalibration? calibration = null;
        if (promote)
        {
            calibration = await Task.Run(() => ScoreCalibrator.Fit(snapshot.CalibrationAnchors, candidate!, snapshot.NewScoreKind, snapshot.OldScoreKind, snapshot.NormalizeMapped, snapshot.Seed), cancellationToken);
        }

        await CommitAsync(state, migration, snapshot, report, promote ? candidate : null, calibration, cancellationToken);
        MigrationLog.Refitted(_logger, collection, id, report.Promoted, report.Version, report.FitPairs, report.Candidate.Score, report.Serving.Score);
        return report;
    }

    /// <summary>The live refit figures of an open migration for its status; null when it keeps no learning.</summary>
    public static OnlineRefitStatus? Status(CollectionState state, MigrationRuntime migration)
    {
        var learning = migration.Learning;
        var refit = migration.Details.Refit;
        if (learning is null && refit is null)
        {
            return null;
        }

        var (statisticsPairs, heldOut, reservoir) = learning is null ? (0L, 0L, 0) : state.Read(_ => (learning.Statistics?.Count ?? 0, learning.HeldOutPairs, learning.Reservoir.Count(id => id is not null)));
        var schedule = learning is null ? (Due: false, NextAtPairs: 0L, NextAt: (DateTimeOffset?)null) : Schedule(migration, learning);
        var last = refit?.Refits.LastOrDefault(r => r.Promoted) ?? (refit is { Refits.Count: > 0 } ? refit.Refits[^1] : null);
        return new OnlineRefitStatus(
            refit?.MapVersion ?? 1,
            migration.Row.MapId,
            statisticsPairs,
            heldOut,
            reservoir,
            refit?.Refits.Count ?? 0,
            last is null ? null : last.Promoted ? last.Candidate : last.Serving,
            schedule.NextAtPairs,
            schedule.NextAt);
    }

    private async Task RunInBackgroundAsync(string collection, string id)
    {
        try
        {
            await RefitAsync(collection, id, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: the next start refits when the schedule says so.
        }
        catch (Exception e) when (e is RetrievalException or StoreUnavailableException or InvalidOperationException or InvalidDataException)
        {
            MigrationLog.RefitFailed(_logger, collection, id, e);
        }
    }

    /// <summary>Everything a refit reads from the collection, copied under its read lock; null before the first batch.</summary>
    private static RefitSnapshot? Snapshot(CollectionState state, MigrationRuntime migration)
    {
        if (migration.Learning is not { Statistics: { } statistics } learning)
        {
            return null;
        }

        var parameters = MigrationParameters.Deserialize(migration.Row.Settings);
        var settings = parameters.Refit;
        var seed = parameters.Seed ?? 1;
        var newSpace = migration.NewSpace(state.Definition);
        var oldSpace = migration.OldSpace(state.Definition);
        var (from, to) = (migration.Row.FromSpace, migration.Row.ToSpace);
        var forward = migration.Forward!;

        // The held-out sample: items of the slice holding both vectors natively, a seeded reservoir sample of them.
        var random = new Random(seed);
        var held = new List<(string Id, Shard Shard, int Slot)>();
        var seen = 0;
        foreach (var (id, shard, slot) in state.ItemsInIdOrder(null))
        {
            if (!HeldOutSlice.Contains(id, settings.HeldOutFraction, seed) || !migration.IsNative(shard, slot) || !shard.GetSpace(from).Contains(slot))
            {
                continue;
            }

            if (held.Count < settings.MaxHeldOutPairs)
            {
                held.Add((id, shard, slot));
            }
            else if (random.Next(seen + 1) is var j && j < settings.MaxHeldOutPairs)
            {
                held[j] = (id, shard, slot);
            }

            seen++;
        }

        var heldOut = Pairs(held.Select(h => (h.Shard, h.Slot)), from, to, newSpace.Dimension, oldSpace.Dimension);

        // The reservoir's pairs, for the kinds trained on pairs: those still holding both vectors natively.
        AnchorSet? reservoir = null;
        if (!StatisticsMapFitter.CanFit(forward.Kind))
        {
            var slots = new List<(Shard, int)>();
            foreach (var itemId in learning.Reservoir)
            {
                if (itemId is not null && state.TryFind(itemId, out var shard, out var slot) && migration.IsNative(shard, slot) && shard.GetSpace(from).Contains(slot))
                {
                    slots.Add((shard, slot));
                }
            }

            reservoir = Pairs(slots, from, to, newSpace.Dimension, oldSpace.Dimension);
        }

        return new RefitSnapshot(
            parameters,
            seed,
            forward,
            forward.Kind,
            statistics.Clone(),
            reservoir,
            heldOut,
            AnchorSampler.Collect(state, to, from, CalibrationAnchors, seed),
            oldSpace.Metric,
            state.Shards[0].GetSpace(to).ScoreKind,
            state.Shards[0].GetSpace(from).ScoreKind,
            oldSpace.Metric == Metric.Cosine,
            learning,
            learning.TotalPairs,
            migration.Row.MapId!,
            state.Maps.Find(migration.Row.MapId!)?.Info,
            EvaluationSetBuilder.Build(state, newSpace, oldSpace, migration.EvaluationQueries));
    }

    private static AnchorSet Pairs(IEnumerable<(Shard Shard, int Slot)> items, string from, string to, int dn, int dOld)
    {
        var list = items.ToList();
        var newRows = new float[list.Count * dn];
        var oldRows = new float[list.Count * dOld];
        for (var i = 0; i < list.Count; i++)
        {
            list[i].Shard.GetSpace(to).VectorOf(list[i].Slot).CopyTo(newRows.AsSpan(i * dn));
            list[i].Shard.GetSpace(from).VectorOf(list[i].Slot).CopyTo(oldRows.AsSpan(i * dOld));
        }

        return new AnchorSet(newRows, dn, oldRows, dOld);
    }

    /// <summary>Fits the candidate (null with a reason when it cannot be fitted) and measures both maps on the held-out pairs.</summary>
    private static (CompatibilityMap? Candidate, (HeldOutFigures? Candidate, HeldOutFigures Serving, string? Reason) Figures, long FitPairs) FitAndJudge(RefitSnapshot snapshot)
    {
        var defaults = new MapFitOptions();
        var options = new MapFitOptions
        {
            Kind = snapshot.Kind,
            Seed = snapshot.Seed,
            Alpha = snapshot.Parameters.Alpha ?? defaults.Alpha,
            Lambda = snapshot.Parameters.Lambda ?? defaults.Lambda,
            TargetMetric = snapshot.OldMetric,
        };
        var serving = Judge(snapshot.Serving, snapshot.HeldOut, snapshot.Evaluation, snapshot.OldMetric);
        var fitPairs = snapshot.Reservoir?.Count ?? snapshot.Statistics.Count;
        try
        {
            var candidate = snapshot.Reservoir is { } pairs ? MapFitter.Fit(pairs, options) : StatisticsMapFitter.Fit(snapshot.Statistics, options);
            return (candidate, (Judge(candidate, snapshot.HeldOut, snapshot.Evaluation, snapshot.OldMetric), serving, null), fitPairs);
        }
        catch (RetrievalException e) when (e.Path is not null)
        {
            return (null, (null, serving, "not fitted: " + e.Message), fitPairs);
        }
    }

    /// <summary>
    /// A map's held-out figures and its score, the mean of identification recall@1 and neighbourhood agreement@10 (and,
    /// with the operator's evaluation queries, their mapped recall@10): identification@10 saturates on real encoder pairs
    /// (every linear kind finds every held-out anchor), @1 and the agreement still separate a map fitted on more pairs
    /// from one fitted on fewer.
    /// </summary>
    private static HeldOutFigures Judge(CompatibilityMap map, AnchorSet heldOut, EvaluationSet? evaluation, Metric metric)
    {
        double? evaluated = evaluation is null ? null : MapEvaluator.Evaluate(map, evaluation, metric).NewToOldMapped.RecallAt10;
        if (heldOut.Count == 0)
        {
            return new HeldOutFigures(0, 0, 0, 0, evaluated, evaluated ?? 0);
        }

        var (r1, r10, cosine) = MapEvaluator.HeldOut(map, heldOut, metric);
        var agreement = MapEvaluator.NeighbourAgreement(map, heldOut, heldOut, metric);
        var score = evaluated is { } e ? (r1 + agreement + e) / 3 : (r1 + agreement) / 2;
        return new HeldOutFigures(r1, r10, agreement, cosine, evaluated, score);
    }

    /// <summary>
    /// Under the write gate: stores the refit's report (and, when promoted, the new map, its calibration and the row naming
    /// it, in one transaction), then swaps the runtime. Refused when the migration moved on meanwhile.
    /// </summary>
    private async Task CommitAsync(CollectionState state, MigrationRuntime read, RefitSnapshot snapshot, MapVersionReport report, CompatibilityMap? promoted, ScoreCalibration? calibration, CancellationToken cancellationToken)
    {
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            if (state.Migration is not { } current || current.Row.Id != read.Row.Id || current.Row.MapId != snapshot.MapId
                || current.Phase is not (MigrationPhase.Backfilling or MigrationPhase.Paused))
            {
                throw RetrievalException.Precondition($"migration '{read.Row.Id}' changed while its map was refitted; the refit is dropped");
            }

            var refit = current.Details.Refit ?? new OnlineRefitState();
            var now = DateTimeOffset.UtcNow;
            var details = current.Details with
            {
                Calibration = calibration ?? current.Details.Calibration,
                Refit = refit with
                {
                    MapVersion = report.Version,
                    PairsAtLastRefit = snapshot.TotalPairs,
                    LastRefitAt = now,
                    Refits = [.. refit.Refits, report],
                },
            };
            var row = current.Row with { MapId = report.MapId ?? current.Row.MapId, CalibrationJson = details.Serialize(), UpdatedAt = now, ChangedBy = Actor };
            MapInfo? info = null;
            StoredMap? stored = null;
            if (promoted is not null)
            {
                var previous = snapshot.ServingInfo;
                var mapReport = new MapReport
                {
                    Kind = promoted.Kind,
                    FitAnchors = (int)Math.Min(report.FitPairs, int.MaxValue),
                    HeldOutAnchors = report.HeldOutPairs,
                    Warnings = [Inv($"online refit: version {report.Version} of migration {current.Row.Id}'s map, from {report.FitPairs} streamed pairs; held-out score {report.Candidate.Score:F4} against {report.Serving.Score:F4}")],
                    IdentificationRecallAt1 = report.Candidate.IdentificationRecallAt1,
                    IdentificationRecallAt10 = report.Candidate.IdentificationRecallAt10,
                    MeanCosine = report.Candidate.MeanCosine,
                    OrthogonalityError = MapEvaluator.OrthogonalityError(promoted),
                    GateMetric = previous?.Report.GateMetric ?? new MapFitOptions().GateMetric,
                    Gate = GateOutcome.NotEvaluated,
                };
                info = new MapInfo(report.MapId!, state.Definition.Name, current.Row.ToSpace, current.Row.FromSpace, promoted.Kind, MapState.Active, mapReport, now, now);
                stored = new StoredMap(info.Id, info.Collection, info.FromSpace, info.ToSpace, info.Kind, MapState.Active,
                    MapSerializer.Serialize(promoted), MapReportJson.Serialize(mapReport), now, now);
            }

            var note = promoted is null ? Inv($"refit not promoted: {report.Reason}") : Inv($"map version {report.Version} ({report.MapId}) promoted: {report.Reason}");
            var update = new MigrationUpdate(row, current.Phase, note) { PromotedMap = stored, ExpectedMapId = current.Row.MapId };
            if (!await _store.UpdateMigrationAsync(update, cancellationToken))
            {
                // Another node's phase change or promotion won; this node reloads the migration and may refit again.
                throw RetrievalException.Aborted($"migration '{row.Id}' changed concurrently (another node's phase change or map promotion); the refit is dropped, retry after it reloads");
            }

            if (info is not null)
            {
                await state.Maps.Gate.WaitAsync(CancellationToken.None);
                try
                {
                    state.Maps.Add(new RegisteredMap(info, promoted!));
                    state.Maps.SetState(info.Id, MapState.Active, now);
                }
                finally
                {
                    state.Maps.Gate.Release();
                }
            }

            var next = new MigrationRuntime(row, promoted ?? current.Forward, current.Inverse, details, current.DerivedIds)
            {
                Learning = current.Learning,
                EvaluationQueries = current.EvaluationQueries,
            };
            state.Write(s =>
            {
                next.LeftForClient.UnionWith(current.LeftForClient);
                s.Migration = next;
            });
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>The id of a map version: the migration's first map id with <c>-v{version}</c>, so <c>mapsUsed</c> names it.</summary>
    private static string VersionedId(string servingId, int version)
    {
        var dash = servingId.LastIndexOf("-v", StringComparison.Ordinal);
        var root = dash > 0 && int.TryParse(servingId.AsSpan(dash + 2), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? servingId[..dash] : servingId;
        return Inv($"{root}-v{version}");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed record RefitSnapshot(
        MigrationParameters Parameters,
        int Seed,
        CompatibilityMap Serving,
        MapKind Kind,
        AnchorStatistics Statistics,
        AnchorSet? Reservoir,
        AnchorSet HeldOut,
        AnchorSet CalibrationAnchors,
        Metric OldMetric,
        Core.Search.ScoreKind NewScoreKind,
        Core.Search.ScoreKind OldScoreKind,
        bool NormalizeMapped,
        OnlineRefitLearning Learning,
        long TotalPairs,
        string MapId,
        MapInfo? ServingInfo,
        EvaluationSet? Evaluation);
}

/// <summary>
/// The live online-refit figures of an open migration: the serving map version and id, what the stream holds, the
/// serving map's held-out figures from the last refit, and when the next refit is due.
/// </summary>
/// <param name="MapVersion">The serving map's version (1: the fitted map).</param>
/// <param name="MapId">The serving map's id.</param>
/// <param name="StatisticsPairs">Pairs in the statistics (seed plus streamed, held-out excluded).</param>
/// <param name="HeldOutPairs">Streamed pairs held out for judging refits.</param>
/// <param name="ReservoirPairs">Pairs in the reservoir sample (0 for the kinds that fit from the statistics).</param>
/// <param name="Refits">Refits run so far.</param>
/// <param name="ServingFigures">The serving map's held-out figures at the last refit; null before the first.</param>
/// <param name="NextRefitAtPairs">The pair count (statistics plus held out) at which the next refit is due.</param>
/// <param name="NextRefitAt">The time after which any new pair makes a refit due; null when refits go by pair count only.</param>
public sealed record OnlineRefitStatus(
    int MapVersion,
    string? MapId,
    long StatisticsPairs,
    long HeldOutPairs,
    int ReservoirPairs,
    int Refits,
    HeldOutFigures? ServingFigures,
    long NextRefitAtPairs,
    DateTimeOffset? NextRefitAt);

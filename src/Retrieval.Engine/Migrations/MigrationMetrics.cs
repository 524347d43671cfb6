using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Migration and map-usage metrics on the <c>Retrieval</c> meter (exported by the server on <c>/metrics</c>):
/// backfill progress gauges per migration, and counters of mixed-search hits by path.
/// </summary>
public static class MigrationMetrics
{
    // prometheus-net prefixes every instrument with the meter name ("Retrieval" → "retrieval_"), so the instruments
    // themselves carry no prefix: the series read retrieval_migration_items, not retrieval_migrations_retrieval_….
    public const string MeterName = "Retrieval";

    private static readonly Meter Meter = new(MeterName);

    private static readonly ConcurrentDictionary<RetrievalEngine, byte> Engines = new();

    private static readonly Counter<long> Hits = Meter.CreateCounter<long>(
        "mixed_search_hits", "hits", "Hits returned by mixed search during a migration, by path (native or mapped).");

    private static readonly Counter<long> Backfilled = Meter.CreateCounter<long>(
        "migration_backfilled_items", "items", "Items given a native new-space vector by a migration's backfill.");

    private static readonly Counter<long> Encoded = Meter.CreateCounter<long>(
        "migration_encoded_on_write_items", "items",
        "Writes carrying only an old-space vector whose new-space vector the new encoder made from a raw input (instead of the inverse map).");

    static MigrationMetrics()
    {
        Meter.CreateObservableGauge("migration_items", Observe, "items",
            "Items of collections with an open migration, by state (native, derived, missing) of their new-space vector.");
        Meter.CreateObservableGauge("migration_map_version", () => ObserveRefit(r => r.MapVersion), "versions",
            "The serving map version of an open migration (1: the fitted map; online refit adds one per promotion).");
        Meter.CreateObservableGauge("migration_map_held_out_score", () => ObserveRefit(r => r.ServingFigures?.Score), "score",
            "The serving map's held-out score at the last online refit (mean of identification recall@1 and neighbourhood agreement@10).");
        Meter.CreateObservableGauge("migration_refit_pairs", () => ObserveRefit(r => r.StatisticsPairs + r.HeldOutPairs), "pairs",
            "Anchor pairs an open migration's online refit has seen (statistics plus held out).");
        Meter.CreateObservableGauge("migration_next_refit_pairs", () => ObserveRefit(r => r.NextRefitAtPairs), "pairs",
            "The pair count at which an open migration's next online refit is due.");
    }

    private static IEnumerable<Measurement<double>> ObserveRefit(Func<OnlineRefitStatus, double?> value)
    {
        foreach (var engine in Engines.Keys)
        {
            foreach (var (collection, migration, status) in engine.OpenMigrationRefits())
            {
                if (value(status) is { } v)
                {
                    yield return new(v, new("collection", collection), new("migration", migration));
                }
            }
        }
    }

    internal static void Register(RetrievalEngine engine) => Engines.TryAdd(engine, 0);

    internal static void Unregister(RetrievalEngine engine) => Engines.TryRemove(engine, out _);

    internal static void MixedSearch(string collection, long native, long mapped)
    {
        var tag = new KeyValuePair<string, object?>("collection", collection);
        Hits.Add(native, tag, new("path", "native"));
        Hits.Add(mapped, tag, new("path", "mapped"));
    }

    internal static void BackfilledItems(string collection, string migration, long count)
    {
        if (count > 0)
        {
            Backfilled.Add(count, new("collection", collection), new("migration", migration));
        }
    }

    internal static void EncodedOnWrite(string collection, string migration, long count)
    {
        if (count > 0)
        {
            Encoded.Add(count, new("collection", collection), new("migration", migration));
        }
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        foreach (var engine in Engines.Keys)
        {
            foreach (var (collection, migration, progress) in engine.OpenMigrationProgress())
            {
                var c = new KeyValuePair<string, object?>("collection", collection);
                var m = new KeyValuePair<string, object?>("migration", migration);
                yield return new(progress.NativeItems, c, m, new("state", "native"));
                yield return new(progress.DerivedItems, c, m, new("state", "derived"));
                yield return new(progress.MissingNewItems, c, m, new("state", "missing"));
            }
        }
    }
}

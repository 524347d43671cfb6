using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Retrieval.Engine.Search;

/// <summary>
/// Search counters on the <c>Retrieval</c> meter (exported on <c>/metrics</c>): queries searched, the seconds spent
/// inside the engine's search, and queries the micro-batcher answered in a batch. Beside the process's CPU seconds
/// they split a call's cost into the search and everything around it (docs/operations.md). Two counter adds per call,
/// no tags.
/// </summary>
internal static class SearchMetrics
{
    private static readonly Meter Meter = new(Migrations.MigrationMetrics.MeterName);

    private static readonly Counter<long> Queries = Meter.CreateCounter<long>(
        "search_queries", "queries", "Queries searched by the engine (a search batch counts each of its queries).");

    private static readonly Counter<double> EngineSeconds = Meter.CreateCounter<double>(
        "search_engine_seconds", "s", "Wall-clock seconds spent inside the engine's search (validate, route, search the shards, render), summed over calls.");

    private static readonly Counter<long> Coalesced = Meter.CreateCounter<long>(
        "search_coalesced_queries", "queries", "Single searches the micro-batcher answered together with others in one batch-kernel pass.");

    public static void Searched(int queries, long startedTimestamp)
    {
        Queries.Add(queries);
        EngineSeconds.Add(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
    }

    public static void CoalescedBatch(int queries) => Coalesced.Add(queries);
}

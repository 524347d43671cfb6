using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Retrieval.Engine.Migrations;

namespace Retrieval.Engine.Memory;

/// <summary>
/// The vector memory budget on the <c>Retrieval</c> meter (exported on <c>/metrics</c>): what each collection's
/// indexes hold and the budget, read at scrape time, so an operator sees a server approach its budget before writes
/// are refused.
/// </summary>
internal static class VectorMemoryMetrics
{
    private static readonly Meter Meter = new(MigrationMetrics.MeterName);

    private static readonly ConcurrentDictionary<VectorMemoryBudget, byte> Budgets = new();

    static VectorMemoryMetrics()
    {
        Meter.CreateObservableGauge("vector_memory_bytes", ObserveCollections, "bytes",
            "Bytes the in-memory indexes of a collection hold, as Retrieval:Limits:MaxVectorMemoryBytes counts them.");
        Meter.CreateObservableGauge("vector_memory_budget_bytes", ObserveBudgets, "bytes",
            "Retrieval:Limits:MaxVectorMemoryBytes (0: unlimited).");
    }

    public static void Register(VectorMemoryBudget budget) => Budgets.TryAdd(budget, 0);

    public static void Unregister(VectorMemoryBudget budget) => Budgets.TryRemove(budget, out _);

    private static IEnumerable<Measurement<long>> ObserveCollections() =>
        Budgets.Keys.SelectMany(budget => budget.UsedBytesByCollection())
            .Select(c => new Measurement<long>(c.Bytes, new KeyValuePair<string, object?>("collection", c.Collection)));

    private static IEnumerable<Measurement<long>> ObserveBudgets() => Budgets.Keys.Select(budget => new Measurement<long>(budget.LimitBytes));
}

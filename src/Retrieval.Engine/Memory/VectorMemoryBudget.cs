using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine.Collections;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Memory;

/// <summary>
/// Admission of writes against <see cref="EngineOptions.MaxVectorMemoryBytes"/>: a batch whose vectors would take the
/// in-memory indexes past the budget is refused (RESOURCE_EXHAUSTED) before it reaches the store, so it changes
/// nothing, instead of the process growing until the kernel's OOM killer ends it.
/// </summary>
/// <remarks>
/// What the indexes hold is measured, not tracked (<see cref="VectorMemoryAccounting"/>): deletes, dropped spaces and
/// collections and index rebuilds show up without bookkeeping. Writers of one collection are serialized by its write
/// gate; writers of different collections are serialized here, and each admitted batch stays reserved until its apply
/// has finished, so two collections cannot both take the last bytes.
/// </remarks>
internal sealed class VectorMemoryBudget(CollectionCatalog catalog, EngineOptions options)
{
    /// <summary>The configuration key named in refusals.</summary>
    public const string SettingName = "Retrieval:Limits:MaxVectorMemoryBytes";

    private readonly Lock _admission = new();
    private long _reserved;

    /// <summary>The budget in bytes; 0 when unlimited.</summary>
    public long LimitBytes => options.MaxVectorMemoryBytes;

    /// <summary>What every collection's indexes hold now, by the accounting's measure.</summary>
    public long UsedBytes() => catalog.All.Sum(state => state.Read(VectorMemoryAccounting.TotalOf));

    /// <summary>What each collection's indexes hold now, by name.</summary>
    public IEnumerable<(string Collection, long Bytes)> UsedBytesByCollection() =>
        catalog.All.Select(state => state.Read(s => (s.Definition.Name, VectorMemoryAccounting.TotalOf(s))));

    /// <summary>
    /// Admits a batch about to be committed to <paramref name="state"/>, or refuses it with RESOURCE_EXHAUSTED naming the
    /// budget. The caller holds the collection's write gate, and disposes the admission once the batch is applied (or
    /// failed).
    /// </summary>
    public Admission Admit(CollectionState state, WriteBatch batch, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared)
    {
        if (LimitBytes <= 0 || batch.Upserts.Count == 0)
        {
            return default;
        }

        var cost = VectorMemoryAccounting.CostOf(state, batch, prepared);
        if (cost <= 0)
        {
            return default;
        }

        lock (_admission)
        {
            var used = UsedBytes() + _reserved;
            if (used + cost > LimitBytes)
            {
                throw RetrievalException.Exhausted(
                    $"vector memory budget exceeded: the batch needs {cost} bytes of index memory, the indexes hold {used} of the {LimitBytes} bytes allowed ({SettingName}); delete items or raise the budget");
            }

            _reserved += cost;
        }

        return new Admission(this, cost);
    }

    private void Release(long cost)
    {
        lock (_admission)
        {
            _reserved -= cost;
        }
    }

    /// <summary>A batch's reserved bytes, released when disposed (its vectors are then counted where they were applied).</summary>
    public readonly struct Admission : IDisposable
    {
        private readonly VectorMemoryBudget? _budget;
        private readonly long _cost;

        internal Admission(VectorMemoryBudget budget, long cost)
        {
            _budget = budget;
            _cost = cost;
        }

        public void Dispose() => _budget?.Release(_cost);
    }
}

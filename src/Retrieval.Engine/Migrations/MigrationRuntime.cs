using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The in-memory side of a collection's open migration: its row, its maps, the calibration, and which items hold a
/// derived (not native) new-space vector. Replaced as a whole on every phase change (readers see one consistent
/// snapshot); the derived set and the counters change with writes, under the collection's write lock.
/// </summary>
internal sealed class MigrationRuntime
{
    private readonly Lock _filterSync = new();
    private readonly Dictionary<Shard, (long Sequence, RowFilter Native, RowFilter Mapped)> _filters = [];

    public MigrationRuntime(StoredMigration row, CompatibilityMap? forward, CompatibilityMap? inverse, MigrationDetails details, HashSet<string> derivedIds)
    {
        Row = row;
        Forward = forward;
        Inverse = inverse;
        Details = details;
        DerivedIds = derivedIds;
    }

    /// <summary>The stored row; counters and checkpoints are kept current with every committed batch.</summary>
    public StoredMigration Row { get; set; }

    /// <summary>The new→old map (null before fit).</summary>
    public CompatibilityMap? Forward { get; }

    /// <summary>The old→new map fitted on the same anchors (null before fit, or when the fit produced none).</summary>
    public CompatibilityMap? Inverse { get; }

    public MigrationDetails Details { get; }

    /// <summary>Items whose new vector is derived through <see cref="Inverse"/>; guarded by the collection lock.</summary>
    public HashSet<string> DerivedIds { get; }

    /// <summary>
    /// Items the server-side producer had nothing for (no stored raw input, or one the encoder refused): the worker does
    /// not retry them while the server runs; the client backfills them. Only the worker touches it, under the write gate.
    /// </summary>
    public HashSet<string> LeftForClient { get; } = new(StringComparer.Ordinal);

    public MigrationPhase Phase => Row.Phase;

    /// <summary>
    /// What the backfill taught so far (online refit); null until the first backfill batch or the load of stored
    /// statistics. Carried over when a phase change replaces the runtime.
    /// </summary>
    public OnlineRefitLearning? Learning { get; set; }

    /// <summary>
    /// The operator's evaluation queries of the last <c>fit</c> or <c>:evaluate</c> that gave some, which online refit judges
    /// candidates on too; stored with the migration and read back when it is loaded. Carried over when a phase change
    /// replaces the runtime.
    /// </summary>
    public IReadOnlyList<Maps.MapEvaluationQuery> EvaluationQueries { get; set; } = [];

    /// <summary>Applies the counters and checkpoints of a committed batch (caller holds the write lock).</summary>
    public void Apply(MigrationMarks marks)
    {
        foreach (var id in marks.NativeIds)
        {
            DerivedIds.Remove(id);
        }

        foreach (var id in marks.DerivedIds)
        {
            DerivedIds.Add(id);
        }

        Row = Row with
        {
            Backfilled = Row.Backfilled + marks.BackfilledDelta,
            MappedOnWrite = Row.MappedOnWrite + marks.MappedOnWriteDelta,
            DerivedOnWrite = Row.DerivedOnWrite + marks.DerivedOnWriteDelta,
            WorkerCursor = marks.WorkerCursor ?? Row.WorkerCursor,
            ClientCheckpoint = marks.ClientCheckpoint ?? Row.ClientCheckpoint,
        };
        if (marks.Statistics is { } statistics)
        {
            Learning?.Commit(statistics);
        }
    }

    /// <summary>True when the item in this slot of the shard has a new-space vector that is not derived (caller holds a collection lock).</summary>
    public bool IsNative(Shard shard, int slot) =>
        shard.GetSpace(Row.ToSpace).Contains(slot) && !DerivedIds.Contains(shard.Items[slot]!.Id);

    /// <summary>
    /// The slot bitsets of mixed search in one shard, rebuilt once per applied sequence of the collection
    /// (<paramref name="sequence"/>): items with a native new vector, and every other item with an old vector (searched
    /// through the map). Together they cover each item exactly once. Caller holds a read lock.
    /// </summary>
    public (RowFilter Native, RowFilter Mapped) Filters(Shard state, long sequence)
    {
        lock (_filterSync)
        {
            if (_filters.TryGetValue(state, out var cached) && cached.Sequence == sequence && cached.Native.RowCount == state.Items.SlotCapacity)
            {
                return (cached.Native, cached.Mapped);
            }

            var newSpace = state.GetSpace(Row.ToSpace);
            var oldSpace = state.GetSpace(Row.FromSpace);
            var native = new RowFilter(state.Items.SlotCapacity);
            var mapped = new RowFilter(state.Items.SlotCapacity);
            for (var slot = 0; slot < state.Items.SlotCapacity; slot++)
            {
                if (state.Items[slot] is not { } item)
                {
                    continue;
                }

                if (newSpace.Contains(slot) && !DerivedIds.Contains(item.Id))
                {
                    native.Set(slot);
                }
                else if (oldSpace.Contains(slot))
                {
                    mapped.Set(slot);
                }
            }

            _filters[state] = (sequence, native, mapped);
            return (native, mapped);
        }
    }

    /// <summary>Forgets cached filters (the derived set changed without a new sequence, e.g. on load).</summary>
    public void InvalidateFilters()
    {
        lock (_filterSync)
        {
            _filters.Clear();
        }
    }

    public SpaceDefinition NewSpace(CollectionDefinition definition) => definition.FindSpace(Row.ToSpace)!;

    public SpaceDefinition OldSpace(CollectionDefinition definition) => definition.FindSpace(Row.FromSpace)!;
}

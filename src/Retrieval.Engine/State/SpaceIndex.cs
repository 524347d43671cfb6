using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Segments;

namespace Retrieval.Engine.State;

/// <summary>
/// The vectors of one space, served by segments: one appendable exact segment that takes writes and sealed
/// segments with an approximate index (built in the background by the optimizer). Writes to an item held by a
/// sealed segment tombstone its row there and go to the appendable segment. Guarded by the collection lock;
/// a build replaces segments only under its write lock.
/// </summary>
internal sealed partial class SpaceIndex : IDisposable
{
    private readonly Dictionary<int, SlotLocation> _sealedSlots = [];
    private SealedSegment[] _sealed = [];

    public SpaceIndex(SpaceDefinition definition)
    {
        Definition = definition;
        Spec = ParseSpec(definition);
        ScoreKind = definition.Metric == Metric.L2 ? ScoreKind.NegativeSquaredL2 : ScoreKind.InnerProduct;
        Appendable = new AppendableSegment(definition.Dimension);
    }

    public SpaceDefinition Definition { get; private set; }

    /// <summary>The configured approximate index; null means every segment is searched exactly.</summary>
    public IndexSpec? Spec { get; private set; }

    public ScoreKind ScoreKind { get; }

    public AppendableSegment Appendable { get; private set; }

    public IReadOnlyList<SealedSegment> Sealed => _sealed;

    /// <summary>The build the optimizer is running for this space, if any (read without the lock).</summary>
    public BuildProgress? CurrentBuild { get; set; }

    /// <summary>Next sealed segment id of this space (restored from snapshots).</summary>
    public long NextSegmentId { get; set; } = 1;

    /// <summary>Live vectors.</summary>
    public int Count => Appendable.Count + _sealedSlots.Count;

    public bool Contains(int slot) => _sealedSlots.ContainsKey(slot) || Appendable.TryGetRow(slot, out _);

    /// <summary>The stored vector of a slot that has one (see <see cref="Contains"/>).</summary>
    public ReadOnlySpan<float> VectorOf(int slot) =>
        _sealedSlots.TryGetValue(slot, out var location)
            ? location.Segment.Storage.Row(location.Row)
            : Appendable.Storage.Row(Appendable.TryGetRow(slot, out var row) ? row : throw new KeyNotFoundException($"slot {slot} has no vector"));

    public float[]? GetVector(int slot) => Contains(slot) ? VectorOf(slot).ToArray() : null;

    /// <summary>Every slot holding a vector: the appendable segment's rows, then each sealed segment's live rows.</summary>
    public IEnumerable<int> Slots()
    {
        for (var row = 0; row < Appendable.Count; row++)
        {
            yield return Appendable.SlotOfRow(row);
        }

        foreach (var segment in _sealed)
        {
            for (var row = 0; row < segment.Count; row++)
            {
                if (segment.Live.Contains(row))
                {
                    yield return segment.RowToSlot[row];
                }
            }
        }
    }

    /// <summary>Sets (adds or replaces) the vector of an item slot.</summary>
    public void Set(int slot, ReadOnlySpan<float> vector)
    {
        if (_sealedSlots.Remove(slot, out var location))
        {
            location.Segment.Kill(location.Row);
        }

        Appendable.Set(slot, vector);
    }

    /// <summary>Removes the vector of an item slot, if it has one.</summary>
    public void Remove(int slot)
    {
        if (_sealedSlots.Remove(slot, out var location))
        {
            location.Segment.Kill(location.Row);
            return;
        }

        Appendable.Remove(slot);
    }

    /// <summary>
    /// Removes every vector: sealed rows are tombstoned (the optimizer drops them when it next compacts the segment), the
    /// appendable segment is replaced by an empty one so its memory is freed at once. Caller holds the write lock.
    /// </summary>
    public void RemoveAll()
    {
        foreach (var slot in _sealedSlots.Keys.ToList())
        {
            Remove(slot);
        }

        Appendable = new AppendableSegment(Definition.Dimension);
    }

    /// <summary>Takes a new definition of the same space (its index spec may have changed). Caller holds the write lock.</summary>
    public void Redefine(SpaceDefinition definition)
    {
        Definition = definition;
        Spec = ParseSpec(definition);
        if (Spec is null)
        {
            foreach (var segment in _sealed)
            {
                segment.DropIndex();
            }
        }
    }

    /// <summary>Turns the appendable segment into a sealed one (no index yet) and starts a new one. Caller holds the write lock.</summary>
    public SealedSegment Seal()
    {
        var sealedSegment = new SealedSegment(NextSegmentId++, Appendable.Storage, Appendable.RowToSlotArray(), index: null);
        Appendable = new AppendableSegment(Definition.Dimension);
        Adopt(sealedSegment);
        return sealedSegment;
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> in place of <paramref name="sources"/>. Row r of the replacement was copied from
    /// row <c>provenance[r].Row</c> of <c>sources[provenance[r].Source]</c>; rows tombstoned there since the copy are
    /// tombstoned in the replacement. Caller holds the write lock, so no search still uses the sources' indexes.
    /// </summary>
    public void Replace(IReadOnlyList<SealedSegment> sources, SealedSegment? replacement, IReadOnlyList<(int Source, int Row)> provenance)
    {
        for (var row = 0; row < (replacement?.Count ?? 0); row++)
        {
            var (source, sourceRow) = provenance[row];
            if (sources[source].Live.Contains(sourceRow))
            {
                _sealedSlots[replacement!.RowToSlot[row]] = new SlotLocation(replacement, row);
            }
            else
            {
                replacement!.Kill(row);
            }
        }

        _sealed = replacement is null ? [.. _sealed.Where(s => !sources.Contains(s))] : [.. _sealed.Where(s => !sources.Contains(s)), replacement];
        foreach (var source in sources)
        {
            source.Dispose();
        }
    }

    /// <summary>Adds a sealed segment read from a snapshot, taking ownership of its live rows. Caller holds the write lock.</summary>
    public void Adopt(SealedSegment segment)
    {
        for (var row = 0; row < segment.Count; row++)
        {
            if (segment.Live.Contains(row))
            {
                _sealedSlots[segment.RowToSlot[row]] = new SlotLocation(segment, row);
            }
        }

        _sealed = [.. _sealed, segment];
    }

    public void Dispose()
    {
        foreach (var segment in _sealed)
        {
            segment.Dispose();
        }
    }

    private static IndexSpec? ParseSpec(SpaceDefinition definition) =>
        string.IsNullOrWhiteSpace(definition.Index) ? null : IndexSpec.Parse(definition.Index, definition.Dimension, FieldPath.Of("index"));

    private readonly record struct SlotLocation(SealedSegment Segment, int Row);
}

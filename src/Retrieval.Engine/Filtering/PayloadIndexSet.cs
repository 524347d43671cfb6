using System.Text.Json;
using Retrieval.Core.Filtering;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Filtering;

/// <summary>
/// The payload indexes of one collection, created automatically: the first filter that names a field builds
/// that field's index from the items in memory (one scan, the cost the filter would have paid anyway), and
/// every later write keeps it current. They are derived state like the vector indexes: nothing is stored,
/// and after a restart they are built again on first use.
/// </summary>
/// <remarks>
/// Concurrency: maintenance (<see cref="OnAdded"/>, <see cref="OnRemoved"/>) runs under the collection's write
/// lock. Evaluation runs under its read lock, where several readers may meet a field that has no index yet;
/// <see cref="_build"/> makes one of them build it while the others wait, and readers never see a half-built
/// index because it is published only when complete.
/// </remarks>
internal sealed class PayloadIndexSet(PayloadIndexOptions options)
{
    private readonly Lock _build = new();
    private volatile Dictionary<string, PayloadFieldIndex> _fields = new(StringComparer.Ordinal);

    /// <summary>Number of fields indexed so far.</summary>
    public int Count => _fields.Count;

    public void OnAdded(int slot, JsonElement payload)
    {
        foreach (var field in _fields.Values)
        {
            field.Add(slot, payload);
        }
    }

    public void OnRemoved(int slot, JsonElement payload)
    {
        foreach (var field in _fields.Values)
        {
            field.Remove(slot, payload);
        }
    }

    /// <summary>
    /// The slots of <paramref name="items"/> that match <paramref name="filter"/>, from the indexes; null when
    /// indexing is off or a field needs an index beyond <see cref="PayloadIndexOptions.MaxFields"/> (the caller
    /// then scans). Caller holds the collection's read or write lock.
    /// </summary>
    public SlotBits? TryEvaluate(PayloadFilter filter, ItemTable items)
    {
        if (!options.Enabled)
        {
            return null;
        }

        var conditions = filter.Must.Concat(filter.MustNot).Concat(filter.Should);
        var fields = new Dictionary<FilterCondition, PayloadFieldIndex>(ReferenceEqualityComparer.Instance);
        foreach (var condition in conditions)
        {
            if (GetOrBuild(condition.Path, items) is not { } field)
            {
                return null;
            }

            fields[condition] = field;
        }

        var slotCount = items.SlotCapacity;
        var result = new SlotBits(slotCount);
        for (var slot = 0; slot < slotCount; slot++)
        {
            if (items[slot] is not null)
            {
                result.Set(slot);
            }
        }

        foreach (var condition in filter.Must)
        {
            result.And(Evaluate(fields[condition], condition, slotCount));
        }

        foreach (var condition in filter.MustNot)
        {
            result.AndNot(Evaluate(fields[condition], condition, slotCount));
        }

        if (filter.Should.Count > 0)
        {
            var any = new SlotBits(slotCount);
            foreach (var condition in filter.Should)
            {
                any.Or(Evaluate(fields[condition], condition, slotCount));
            }

            result.And(any);
        }

        return result;
    }

    private static SlotBits Evaluate(PayloadFieldIndex field, FilterCondition condition, int slotCount)
    {
        var bits = new SlotBits(slotCount);
        field.Evaluate(condition, bits);
        return bits;
    }

    private PayloadFieldIndex? GetOrBuild(IReadOnlyList<string> path, ItemTable items)
    {
        var key = Key(path);
        if (_fields.TryGetValue(key, out var field))
        {
            return field;
        }

        lock (_build)
        {
            var current = _fields;
            if (current.TryGetValue(key, out field))
            {
                return field;
            }

            if (current.Count >= options.MaxFields)
            {
                return null;
            }

            field = new PayloadFieldIndex(path);
            for (var slot = 0; slot < items.SlotCapacity; slot++)
            {
                if (items[slot] is { } item)
                {
                    field.Add(slot, item.Payload);
                }
            }

            // Copy-on-write: readers enumerating the old dictionary are never disturbed.
            _fields = new Dictionary<string, PayloadFieldIndex>(current, StringComparer.Ordinal) { [key] = field };
            return field;
        }
    }

    // Segments may contain any character (dots included), so each is length-prefixed: no two paths share a key.
    private static string Key(IReadOnlyList<string> path) =>
        string.Concat(path.Select(segment => $"{segment.Length}:{segment}"));
}

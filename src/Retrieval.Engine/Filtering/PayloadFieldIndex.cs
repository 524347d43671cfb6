using System.Text.Json;
using Retrieval.Core.Filtering;

namespace Retrieval.Engine.Filtering;

/// <summary>
/// The index of one payload field (a path into the payload object): the slots holding each scalar value, for
/// <c>match</c>, and the slots ordered by numeric value, for <c>range</c>. An array field contributes each of
/// its scalar elements, the way <see cref="FilterEvaluator"/> matches "any element". Values are taken exactly
/// as the evaluator compares them: strings ordinally, numbers as doubles, booleans by kind.
/// Not thread-safe: maintained under the collection's write lock, read under its read lock.
/// </summary>
internal sealed class PayloadFieldIndex(IReadOnlyList<string> path)
{
    private readonly Dictionary<ScalarValue, HashSet<int>> _postings = [];
    private readonly SortedSet<(double Value, int Slot)> _numbers = [];

    public IReadOnlyList<string> Path { get; } = path;

    /// <summary>Distinct scalar values held (a measure of the index's size).</summary>
    public int DistinctValues => _postings.Count;

    public void Add(int slot, JsonElement payload)
    {
        foreach (var value in Values(payload))
        {
            if (!_postings.TryGetValue(value, out var slots))
            {
                _postings.Add(value, slots = []);
            }

            slots.Add(slot);
            if (value.Kind == ScalarKind.Number)
            {
                _numbers.Add((value.Number, slot));
            }
        }
    }

    public void Remove(int slot, JsonElement payload)
    {
        foreach (var value in Values(payload))
        {
            if (_postings.TryGetValue(value, out var slots) && slots.Remove(slot) && slots.Count == 0)
            {
                _postings.Remove(value);
            }

            if (value.Kind == ScalarKind.Number)
            {
                _numbers.Remove((value.Number, slot));
            }
        }
    }

    /// <summary>Sets the slots whose field matches <paramref name="condition"/> (a condition on this field).</summary>
    public void Evaluate(FilterCondition condition, SlotBits into)
    {
        if (condition.Range is { } range)
        {
            EvaluateRange(range, into);
            return;
        }

        foreach (var value in condition.Match!.Values)
        {
            if (_postings.TryGetValue(Canonical(value), out var slots))
            {
                foreach (var slot in slots)
                {
                    into.Set(slot);
                }
            }
        }
    }

    private void EvaluateRange(RangeCondition range, SlotBits into)
    {
        // The view covers the loosest reading of the bounds; RangeCondition.Contains then decides each value
        // exactly as the scanning evaluator does (open vs closed ends, both gt and gte given).
        var low = Math.Max(range.Gt ?? double.NegativeInfinity, range.Gte ?? double.NegativeInfinity);
        var high = Math.Min(range.Lt ?? double.PositiveInfinity, range.Lte ?? double.PositiveInfinity);
        if (_numbers.Count == 0 || double.IsNaN(low) || double.IsNaN(high) || low > high)
        {
            return;
        }

        foreach (var (value, slot) in _numbers.GetViewBetween((low, int.MinValue), (high, int.MaxValue)))
        {
            if (range.Contains(value))
            {
                into.Set(slot);
            }
        }
    }

    /// <summary>The scalar values of this field in a payload: none, one, or one per array element.</summary>
    private List<ScalarValue> Values(JsonElement payload)
    {
        var values = new List<ScalarValue>(1);
        var field = payload;
        foreach (var segment in Path)
        {
            if (field.ValueKind != JsonValueKind.Object || !field.TryGetProperty(segment, out field))
            {
                return values;
            }
        }

        if (field.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in field.EnumerateArray())
            {
                AddScalar(element, values);
            }
        }
        else
        {
            AddScalar(field, values);
        }

        return values;
    }

    private static void AddScalar(JsonElement element, List<ScalarValue> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                values.Add(ScalarValue.Of(element.GetString()!));
                break;
            case JsonValueKind.Number when element.TryGetDouble(out var number):
                values.Add(ScalarValue.Of(number));
                break;
            case JsonValueKind.True:
                values.Add(ScalarValue.Of(true));
                break;
            case JsonValueKind.False:
                values.Add(ScalarValue.Of(false));
                break;
            default:
                // Objects, nested arrays and null never equal a filter scalar nor fall in a range.
                break;
        }
    }

    /// <summary>A filter value in the form the postings are keyed by (unused fields zeroed).</summary>
    private static ScalarValue Canonical(ScalarValue value) => value.Kind switch
    {
        ScalarKind.Text => ScalarValue.Of(value.Text!),
        ScalarKind.Number => ScalarValue.Of(value.Number),
        _ => ScalarValue.Of(value.Boolean),
    };
}

using System.Globalization;
using CsCheck;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Filtering;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Tests.Filtering;

/// <summary>
/// The payload indexes answer every filter exactly as evaluating each payload does, across upserts that replace
/// or keep payloads, deletes and slot reuse made after the indexes were built.
/// </summary>
public sealed class PayloadIndexPropertyTests
{
    private const string Space = "v";

    private static readonly string[] Words = ["red", "blue", "green", "Red", ""];
    private static readonly string[] Keys = ["color", "year", "flag", "nested.k", "tags", "missing"];

    private static readonly Gen<string> GenScalarJson = Gen.OneOf(
        Gen.OneOf<string>(Words).Select(w => $"\"{w}\""),
        Gen.Int[-3, 3].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Gen.OneOf("0.5", "-0.0", "2.25", "1e3"),
        Gen.OneOf("true", "false", "null", "{}"));

    private static readonly Gen<string> GenFieldJson = Gen.OneOf(
        GenScalarJson,
        GenScalarJson.Array[0, 3].Select(values => $"[{string.Join(",", values)}]"));

    private static readonly Gen<string> GenPayload = Gen.Select(
        GenFieldJson.Array[5],
        Gen.Bool.Array[5],
        (values, present) =>
        {
            string[] names = ["color", "year", "flag", "tags", "nested"];
            var fields = names.Select((name, i) => (name, i))
                .Where(f => present[f.i])
                .Select(f => f.name == "nested" ? $"\"nested\":{{\"k\":{values[f.i]}}}" : $"\"{f.name}\":{values[f.i]}");
            return "{" + string.Join(",", fields) + "}";
        });

    private static readonly Gen<ScalarValue> GenValue = Gen.OneOf(
        Gen.OneOf<string>(Words).Select(ScalarValue.Of),
        Gen.OneOf(-1.0, 0.0, -0.0, 1.0, 2.0, 0.5, 2.25, 1000.0).Select(ScalarValue.Of),
        Gen.Bool.Select(ScalarValue.Of));

    private static readonly Gen<double?> GenBound =
        Gen.OneOf<double?>(null, -3.0, -0.0, 0.0, 0.5, 1.0, 2.25, 3.0, 1000.0, null, null, null);

    private static readonly Gen<FilterCondition> GenCondition = Gen.Select(
        Gen.OneOf<string>(Keys),
        Gen.Bool,
        GenValue.Array[1, 3],
        Gen.Select(GenBound, GenBound, GenBound, GenBound),
        (key, isMatch, values, bounds) => new FilterCondition(
            key,
            key.Split('.'),
            isMatch ? new MatchCondition(values) : null,
            isMatch ? null : new RangeCondition(bounds.Item1, bounds.Item2, bounds.Item3, bounds.Item4)));

    private static readonly Gen<PayloadFilter> GenFilter = Gen.Select(
        GenCondition.Array[0, 2], GenCondition.Array[0, 2], GenCondition.Array[0, 2],
        (must, mustNot, should) => new PayloadFilter(must, mustNot, should));

    /// <summary>An upsert (payload null = keep, vector null = none) or a delete of one of a few ids.</summary>
    private static readonly Gen<(int Id, bool Delete, string? Payload, bool WithVector)> GenOperation = Gen.Select(
        Gen.Int[0, 24], Gen.Int[0, 9], GenPayload, Gen.Bool,
        (id, kind, payload, withVector) => (id, kind == 0, kind == 1 ? null : payload, withVector));

    [Fact]
    public void MatchingSlots_WithIndexesBuiltMidway_EqualsScanningEveryPayload()
    {
        Gen.Select(GenOperation.Array[1, 40], GenOperation.Array[0, 40], GenFilter.Array[1, 6])
            .Sample((before, after, filters) =>
            {
                using var state = NewState();
                var sequence = 0L;
                Apply(state, before, ref sequence);

                // The first evaluation builds the indexes from memory; the writes after it maintain them.
                AssertSameAsScan(state, filters);
                Apply(state, after, ref sequence);
                AssertSameAsScan(state, filters);
            }, iter: 300);
    }

    [Fact]
    public void BuildSlotFilter_Indexed_SetsExactlyTheSlotsOfMatchingItems()
    {
        Gen.Select(GenOperation.Array[1, 60], GenFilter)
            .Sample((operations, filter) =>
            {
                using var state = NewState();
                var sequence = 0L;
                Apply(state, operations, ref sequence);

                var slots = state.BuildSlotFilter(filter);

                var expected = Enumerable.Range(0, state.Items.SlotCapacity)
                    .Where(slot => state.Items[slot] is { } item && FilterEvaluator.Matches(filter, item.Payload));
                Assert.Equal(expected, Enumerable.Range(0, state.Items.SlotCapacity).Where(slots.Contains));
            }, iter: 300);
    }

    [Fact]
    public void MatchingSlots_OverTheFieldLimit_FallsBackToScanningWithTheSameResult()
    {
        using var state = NewState(new PayloadIndexOptions { MaxFields = 1 });
        var sequence = 0L;
        Apply(state, [(1, false, "{\"color\":\"red\",\"year\":2}", true), (2, false, "{\"color\":\"blue\",\"year\":3}", true)], ref sequence);
        var filter = new PayloadFilter(
            [new FilterCondition("color", ["color"], new MatchCondition([ScalarValue.Of("red")]), null)],
            [new FilterCondition("year", ["year"], null, new RangeCondition(null, 3, null, null))],
            []);

        Assert.Equal([0], state.MatchingSlots(filter).Slots());
        Assert.Equal(1, state.PayloadIndexes.Count);
    }

    private static Shard NewState(PayloadIndexOptions? options = null)
    {
        var now = DateTimeOffset.UnixEpoch;
        var definition = new CollectionDefinition(
            "c", [new SpaceDefinition(Space, 2, Metric.InnerProduct, new ModelRef("m", "1"))], Space, now, now);
        return new Shard(0, definition, options);
    }

    private static void Apply(Shard state, IEnumerable<(int Id, bool Delete, string? Payload, bool WithVector)> operations, ref long sequence)
    {
        foreach (var (id, delete, payload, withVector) in operations)
        {
            var name = $"item-{id}";
            var vectors = withVector ? new Dictionary<string, float[]> { [Space] = [id, 1] } : new Dictionary<string, float[]>();
            if (delete)
            {
                state.Delete(name, ++sequence);
            }
            else
            {
                state.Upsert(new ItemWrite(name, payload, vectors), ++sequence, prepared: null);
            }
        }
    }

    private static void AssertSameAsScan(Shard state, IEnumerable<PayloadFilter> filters)
    {
        foreach (var filter in filters)
        {
            Assert.Equal(state.ScanMatchingSlots(filter).Slots(), state.MatchingSlots(filter).Slots());
        }
    }
}

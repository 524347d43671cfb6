using System.Text.Json;
using Retrieval.Core.Filtering;

namespace Retrieval.Core.Tests.Filtering;

public sealed class FilterEvaluatorTests
{
    private static readonly JsonElement Payload = JsonDocument.Parse(
        """{"color":"red","year":2020,"tags":["a","b"],"nested":{"price":9.5,"ok":true},"nothing":null}""").RootElement;

    public static TheoryData<string, FilterCondition, bool> Conditions => new()
    {
        { "string equal", Match("color", ScalarValue.Of("red")), true },
        { "string differs", Match("color", ScalarValue.Of("blue")), false },
        { "number equal", Match("year", ScalarValue.Of(2020)), true },
        { "number vs string", Match("year", ScalarValue.Of("2020")), false },
        { "array contains", Match("tags", ScalarValue.Of("b")), true },
        { "array lacks", Match("tags", ScalarValue.Of("c")), false },
        { "any of", Match("color", ScalarValue.Of("blue"), ScalarValue.Of("red")), true },
        { "nested bool", Match("nested.ok", ScalarValue.Of(true)), true },
        { "missing key", Match("size", ScalarValue.Of("x")), false },
        { "null field", Match("nothing", ScalarValue.Of("x")), false },
        { "path through scalar", Match("color.x", ScalarValue.Of("red")), false },
        { "range inside", Range("year", gte: 2000, lt: 2030), true },
        { "range exclusive bound", Range("year", gt: 2020), false },
        { "range inclusive bound", Range("year", lte: 2020), true },
        { "nested range", Range("nested.price", gt: 9, lt: 10), true },
        { "range on string", Range("color", gt: 0), false },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Matches_Condition_FollowsTheGrammar(string name, FilterCondition condition, bool expected)
    {
        Assert.True(expected == FilterEvaluator.Matches(condition, Payload), name);
    }

    [Fact]
    public void Matches_MustMustNotShould_Combine()
    {
        var red = Match("color", ScalarValue.Of("red"));
        var old = Range("year", lt: 2000);
        var tagC = Match("tags", ScalarValue.Of("c"));
        Assert.True(FilterEvaluator.Matches(new PayloadFilter([red], [old], []), Payload));
        Assert.False(FilterEvaluator.Matches(new PayloadFilter([red], [red], []), Payload));
        Assert.False(FilterEvaluator.Matches(new PayloadFilter([], [], [old, tagC]), Payload));
        Assert.True(FilterEvaluator.Matches(new PayloadFilter([], [], [old, red]), Payload));
        Assert.True(FilterEvaluator.Matches(new PayloadFilter([], [], []), Payload));
    }

    private static FilterCondition Match(string key, params ScalarValue[] values) =>
        new(key, key.Split('.'), new MatchCondition(values), null);

    private static FilterCondition Range(string key, double? gt = null, double? gte = null, double? lt = null, double? lte = null) =>
        new(key, key.Split('.'), null, new RangeCondition(gt, gte, lt, lte));
}

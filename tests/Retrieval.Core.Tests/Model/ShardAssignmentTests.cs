using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Core.Tests.Model;

public sealed class ShardAssignmentTests
{
    // XXH64 of the empty input (seed 0) is 0xEF46DB3751D8E999 and of "a" is 0xD24EC4F1A98C6E5B: the reference test
    // vectors of the algorithm, so these pin the documented rule (XxHash64 of the id's UTF-8 bytes, unsigned, mod shards).
    [Theory]
    [InlineData("", 64, 25)]
    [InlineData("", 3, 0)]
    [InlineData("", 10, 1)]
    [InlineData("a", 7, 6)]
    [InlineData("a", 64, 27)]
    [InlineData("a", 2, 1)]
    public void ShardOf_ReferenceVectors_MatchTheDocumentedHash(string id, int shards, int expected) =>
        Assert.Equal(expected, ShardAssignment.ShardOf(id, shards));

    [Fact]
    public void ShardOf_OneShard_IsAlwaysZero() =>
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(0, ShardAssignment.ShardOf($"item-{i}", 1)));

    [Fact]
    public void ShardOf_ManyIds_SpreadsEvenlyAndStaysInRange()
    {
        var counts = new int[8];
        for (var i = 0; i < 80_000; i++)
        {
            counts[ShardAssignment.ShardOf($"doc-{i}", 8)]++;
        }

        // 10,000 expected per shard; a binomial spread stays far inside ±5 %.
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void ShardOf_LongAndNonAsciiIds_HashTheirUtf8Bytes()
    {
        var longId = new string('é', 300);
        Assert.Equal(ShardAssignment.ShardOf(longId, 16), ShardAssignment.ShardOf(string.Concat(longId), 16));
        Assert.InRange(ShardAssignment.ShardOf("商品-42", 5), 0, 4);
    }

    [Fact]
    public void DefinitionJson_WithoutShards_ReadsAsOneShard()
    {
        var now = DateTimeOffset.UnixEpoch;
        var json = """{"spaces":[{"name":"v","dimension":4,"metric":"inner_product","model":{"name":"m","version":"1"}}],"defaultSpace":"v"}""";

        var definition = CollectionDefinitionJson.Deserialize("c", json, now, now);

        Assert.Equal(1, definition.Shards);
    }

    [Fact]
    public void DefinitionJson_WithShards_RoundTrips()
    {
        var now = DateTimeOffset.UnixEpoch;
        var definition = new CollectionDefinition("c", [new SpaceDefinition("v", 4, Metric.L2, new ModelRef("m", "1"))], "v", now, now, Shards: 12);

        var back = CollectionDefinitionJson.Deserialize("c", CollectionDefinitionJson.Serialize(definition), now, now);

        Assert.Equal(12, back.Shards);
    }
}

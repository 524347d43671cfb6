using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// CsCheck generators for hostile input: JSON values of every type with edge-case numbers and strings, request bodies
/// that are nearly right (right field names, wrong values), deep nesting, truncation and invalid UTF-8; and protobuf
/// request messages with the same values, sent whole, truncated or with flipped bytes.
/// </summary>
internal static class FuzzInputs
{
    /// <summary>Ids the fuzzed writes aim at, so the "nothing persisted" check knows where to look.</summary>
    public static readonly string[] IdPool = ["f0", "f1", "f2", "seed", "", " ", "f\u0000", "\u00e9", new string('x', 300)];

    private static readonly string[] EdgeNumbers =
    [
        "0", "-0", "1", "-1", "4", "3", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "1e308", "1e309", "-1e309", "1e-400", "4.9e-324", "3.4028235e38", "3.5e38", "1.0", "0.5", "1e2", "100000000000000000000000",
    ];

    private static readonly string[] EdgeStrings =
    [
        "", " ", "v1", "w", "mv", "img", "k", "NaN", "Infinity", "-Infinity", "seed", "f0", "null", "true", "0",
        "\u0000", "\ud800", "\udfff", "\ufeff", "\u202e", "\U0001F600", "é", "../../etc/passwd", "a/b", "'; drop table items; --",
        "x.y[0]", "\"", "\\", "KEY_SCOPE_READ", "METRIC_COSINE", "INDEX_KIND_HNSW", "SPACE_KIND_MULTI",
    ];

    private static readonly string[] FieldNames =
    [
        "items", "id", "ids", "vectors", "payload", "values", "inputs", "vector", "space", "k", "filter", "must", "mustNot", "should",
        "key", "match", "range", "value", "any", "gt", "gte", "lt", "lte", "withPayload", "withVectors", "limit", "cursor", "offset",
        "scoreThreshold", "efSearch", "nprobe", "exact", "searches", "name", "spaces", "dimension", "metric", "model", "version",
        "defaultSpace", "shards", "kind", "multiVector", "maxTokens", "text", "collection", "targetSpace", "candidates", "tokens",
    ];

    public static Gen<string> Number { get; } = Gen.Frequency(
        (4, Gen.OneOf(EdgeNumbers)),
        (2, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Double.Select(FormatDouble)),
        (1, Gen.Float.Select(f => FormatDouble(f))));

    public static Gen<string> Text { get; } = Gen.Frequency(
        (4, Gen.OneOf(EdgeStrings)),
        (3, Gen.String[0, 12]),
        (1, Gen.Char.Array[0, 8].Select(c => new string(c))),
        (1, Gen.Int[1000, 70_000].Select(n => new string('a', n))));

    public static Gen<string> Key { get; } = Gen.Frequency((5, Gen.OneOf(FieldNames)), (1, Text));

    public static Gen<string> Scalar { get; } = Gen.Frequency(
        (3, Number),
        (3, Text.Select(Quote)),
        (1, Gen.OneOf("true", "false", "null")));

    /// <summary>Any JSON value, nested up to <paramref name="depth"/> levels.</summary>
    public static Gen<string> Json(int depth) => depth == 0
        ? Scalar
        : Gen.Frequency(
            (4, Scalar),
            (2, Json(depth - 1).Array[0, 5].Select(values => "[" + string.Join(",", values) + "]")),
            (2, Gen.Select(Key, Json(depth - 1)).Array[0, 5].Select(Object)));

    private static Gen<string> NumberArray { get; } = Gen.Frequency(
        (3, Gen.Float[-2, 2].Array[0, 6].Select(values => "[" + string.Join(",", values.Select(v => FormatDouble(v))) + "]")),
        (2, Number.Array[0, 6].Select(values => "[" + string.Join(",", values) + "]")),
        (1, Json(2)));

    private static Gen<string> Vectors { get; } = Gen.Frequency(
        (4, Gen.Select(Gen.OneOf("v1", "w", "mv", "img", "nope", ""), NumberArray).Array[0, 3]
            .Select(spaces => Object(spaces.Select(s => (s.Item1, Object([("values", s.Item2)])))))),
        (1, Json(2)));

    private static Gen<string> ItemJson { get; } = Gen.Select(Either(Gen.OneOf(IdPool).Select(Quote), Scalar), Vectors, Json(3), Gen.Int[0, 7])
        .Select((id, vectors, payload, drop) => Object(new[] { ("id", id), ("vectors", vectors), ("payload", payload) }.Where((_, i) => (drop & (1 << i)) == 0)));

    private static Gen<string> Condition { get; } = Gen.Select(Text, Json(2), Json(2))
        .Select((key, match, range) => Object([("key", Quote(key)), ("match", match), ("range", range)]));

    private static Gen<string> Filter { get; } = Gen.Frequency(
        (3, Gen.Select(Gen.OneOf("must", "mustNot", "should"), Condition.Array[0, 3]).Select((k, c) => Object([(k, "[" + string.Join(",", c) + "]")]))),
        (1, Gen.Int[50, 3000].Select(DeepFilter)),
        (1, Json(3)));

    /// <summary>A request body for one of the REST routes: nearly right, entirely random, nested deep, or cut short.</summary>
    public static Gen<string> Body(RestRoute route)
    {
        var shaped = route switch
        {
            RestRoute.Upsert => Gen.Frequency(
                (4, ItemJson.Array[0, 4].Select(items => Object([("items", "[" + string.Join(",", items) + "]")]))),
                (1, Json(3))),
            RestRoute.Delete => Gen.Frequency(
                (3, Either(Gen.OneOf(IdPool).Select(Quote), Scalar).Array[0, 4].Select(ids => Object([("ids", "[" + string.Join(",", ids) + "]")]))),
                (2, Filter.Select(f => Object([("filter", f)])))),
            RestRoute.Get => Gen.Select(Json(1), Json(1)).Select((ids, with) => Object([("ids", ids), ("withVectors", with)])),
            RestRoute.Scroll => Gen.Select(Filter, Number, Json(1)).Select((f, limit, cursor) => Object([("filter", f), ("limit", limit), ("cursor", cursor)])),
            RestRoute.Search => Gen.Select(Either(Gen.OneOf("v1", "w", "mv", "nope").Select(Quote), Scalar), NumberArray, Number, Filter, Json(1))
                .Select((space, vector, k, filter, extra) => Object([("space", space), ("vector", Object([("values", vector)])), ("k", k), ("filter", filter), ("withPayload", extra)])),
            RestRoute.CreateCollection => Gen.Select(Text, Number, Json(2), Json(1))
                .Select((name, dimension, metric, shards) => Object([("name", Quote(name)), ("spaces", "[" + Object([("name", "\"v1\""), ("dimension", dimension), ("metric", metric), ("model", Object([("name", "\"m\""), ("version", "\"1\"")]))]) + "]"), ("shards", shards)])),
            _ => throw new ArgumentOutOfRangeException(nameof(route)),
        };

        return Gen.Frequency(
            (10, shaped),
            (2, Json(4)),
            (1, Gen.Int[100, 5000].Select(n => new string('[', n) + new string(']', n))),
            (2, Gen.Select(shaped, Gen.Double[0, 1]).Select((body, cut) => body[..(int)(body.Length * cut)])),
            (1, shaped.Select(body => body.Replace("\"", "'", StringComparison.Ordinal))));
    }

    /// <summary>An upsert with random ids, vectors (NaN, infinities, any length) and a payload nested to any depth.</summary>
    public static Gen<UpsertItemsRequest> UpsertMessage { get; } =
        Gen.Select(Either(Gen.OneOf(IdPool), Text), Gen.OneOf("v1", "w", "mv", "nope", ""), Gen.Float.Array[0, 6], Gen.Int[0, 300], Text).Array[0, 4]
            .Select(items =>
            {
                var request = new UpsertItemsRequest { Collection = "fuzz" };
                foreach (var (id, space, values, nesting, text) in items)
                {
                    var item = new Item { Id = id, Payload = NestedStruct(nesting, text) };
                    item.Vectors[space] = new Vector { Values = { values } };
                    request.Items.Add(item);
                }

                return request;
            });

    public static Gen<SearchRequest> SearchMessage { get; } =
        from space in Gen.OneOf("v1", "w", "mv", "nope", "")
        from values in Gen.Float.Array[0, 6]
        from k in Gen.Int
        from offset in Gen.Int
        from key in Text
        from nesting in Gen.Int[0, 200]
        select new SearchRequest
        {
            Collection = "fuzz",
            Space = space,
            Vector = new Vector { Values = { values } },
            K = k,
            Offset = offset,
            WithPayload = true,
            Filter = new Filter { Must = { new Condition { Key = key, Match = new Match { Value = NestedValue(nesting) } } } },
        };

    public static Gen<DeleteItemsRequest> DeleteMessage { get; } =
        Gen.Select(Either(Gen.OneOf(IdPool), Text).Array[0, 4], Gen.Bool, Text)
            .Select((ids, byFilter, key) => byFilter
                ? new DeleteItemsRequest { Collection = "fuzz", Ids = { ids }, Filter = new Filter { Must = { new Condition { Key = key, Match = new Match { Value = Value.ForString(key) } } } } }
                : new DeleteItemsRequest { Collection = "fuzz", Ids = { ids } });

    /// <summary>The wire bytes of a message, whole or damaged: cut short, a byte flipped, or random bytes appended.</summary>
    public static Gen<byte[]> Damaged(Gen<byte[]> wire) => Gen.Frequency(
        (3, wire),
        (2, Gen.Select(wire, Gen.Double[0, 1]).Select((bytes, cut) => bytes[..(int)(bytes.Length * cut)])),
        (2, Gen.Select(wire, Gen.Int[0, int.MaxValue], Gen.Byte).Select((bytes, at, b) => Flip(bytes, at, b))),
        (1, Gen.Select(wire, Gen.Byte.Array[1, 16]).Select((bytes, tail) => (byte[])[.. bytes, .. tail])));

    /// <summary>One generator or the other, evenly.</summary>
    private static Gen<string> Either(Gen<string> first, Gen<string> second) => Gen.OneOf<string>(first, second);

    public static string Quote(string text) => JsonSerializer.Serialize(text);

    private static string Object(IEnumerable<(string Key, string Value)> fields) =>
        "{" + string.Join(",", fields.Select(f => Quote(f.Key) + ":" + f.Value)) + "}";

    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "\"NaN\"" : double.IsPositiveInfinity(value) ? "\"Infinity\"" : double.IsNegativeInfinity(value) ? "\"-Infinity\"" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string DeepFilter(int depth)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            builder.Append("{\"must\":[{\"key\":\"k\",\"match\":{\"value\":");
        }

        builder.Append('1');
        for (var i = 0; i < depth; i++)
        {
            builder.Append("}}]}");
        }

        return builder.ToString();
    }

    private static byte[] Flip(byte[] bytes, int at, byte value)
    {
        if (bytes.Length == 0)
        {
            return [value];
        }

        var copy = (byte[])bytes.Clone();
        copy[at % copy.Length] ^= value == 0 ? (byte)0xFF : value;
        return copy;
    }

    private static Struct NestedStruct(int depth, string text)
    {
        var root = new Struct { Fields = { ["text"] = Value.ForString(text) } };
        root.Fields["deep"] = NestedValue(depth);
        return root;
    }

    private static Value NestedValue(int depth)
    {
        var value = Value.ForNumber(1);
        for (var i = 0; i < depth; i++)
        {
            value = Value.ForStruct(new Struct { Fields = { ["n"] = value } });
        }

        return value;
    }
}

/// <summary>The REST routes the fuzzer posts to.</summary>
internal enum RestRoute
{
    Upsert,
    Delete,
    Get,
    Scroll,
    Search,
    CreateCollection,
}

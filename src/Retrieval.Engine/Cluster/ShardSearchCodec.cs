using System.Runtime.InteropServices;
using System.Text;
using Retrieval.Core.Filtering;

namespace Retrieval.Engine.Cluster;

/// <summary>
/// Writes <see cref="ShardSearchRequest"/> and <see cref="ShardSearchResponse"/> as bytes and reads them back, so that a
/// transport (Orleans grain calls in cluster mode) carries them without knowing the engine's types. A leading format
/// byte lets a node refuse a message from a node of another format, instead of misreading it.
/// </summary>
public static class ShardSearchCodec
{
    private const byte Format = 1;

    public static byte[] Write(ShardSearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(request.Collection);
            writer.Write(request.Shard);
            writer.Write(request.DefinitionVersion);
            writer.Write(request.AtLeastSequence);
            writer.Write(request.Queries.Count);
            foreach (var query in request.Queries)
            {
                writer.Write(query.Space);
                WriteFloats(writer, query.Vector);
                writer.Write(query.Depth);
                writer.Write(query.EfSearch);
                writer.Write(query.NProbe);
                writer.Write(query.Exact);
                writer.Write(query.WithPayload);
                writer.Write(query.WithVectors);
                WriteFilter(writer, query.Filter);
                writer.Write(query.Tokens is not null);
                if (query.Tokens is { } tokens)
                {
                    WriteFloats(writer, tokens);
                    writer.Write(query.TokenDimension);
                    writer.Write(query.Candidates);
                }
            }
        }

        return stream.ToArray();
    }

    public static ShardSearchRequest ReadRequest(byte[] bytes)
    {
        using var reader = Open(bytes);
        var collection = reader.ReadString();
        var shard = reader.ReadInt32();
        var definitionVersion = reader.ReadInt64();
        var atLeast = reader.ReadInt64();
        var queries = new ShardQuery[reader.ReadInt32()];
        for (var i = 0; i < queries.Length; i++)
        {
            var space = reader.ReadString();
            var vector = ReadFloats(reader);
            var depth = reader.ReadInt32();
            var ef = reader.ReadInt32();
            var nprobe = reader.ReadInt32();
            var exact = reader.ReadBoolean();
            var withPayload = reader.ReadBoolean();
            var withVectors = reader.ReadBoolean();
            queries[i] = new ShardQuery(space, vector, depth, ReadFilter(reader), ef, nprobe, exact, withPayload, withVectors);
            if (reader.ReadBoolean())
            {
                queries[i] = queries[i] with { Tokens = ReadFloats(reader), TokenDimension = reader.ReadInt32(), Candidates = reader.ReadInt32() };
            }
        }

        return new ShardSearchRequest(collection, shard, definitionVersion, atLeast, queries);
    }

    public static byte[] Write(ShardSearchResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(response.AppliedSequence);
            writer.Write(response.Hits.Count);
            foreach (var hits in response.Hits)
            {
                writer.Write(hits.Count);
                foreach (var hit in hits)
                {
                    writer.Write(hit.Id);
                    writer.Write(hit.Score);
                    writer.Write(hit.Mapped);
                    WriteOptional(writer, hit.PayloadJson);
                    writer.Write(hit.Vectors?.Count ?? -1);
                    foreach (var (space, vector) in hit.Vectors ?? new Dictionary<string, float[]>())
                    {
                        writer.Write(space);
                        WriteFloats(writer, vector);
                    }
                }
            }
        }

        return stream.ToArray();
    }

    public static ShardSearchResponse ReadResponse(byte[] bytes)
    {
        using var reader = Open(bytes);
        var applied = reader.ReadInt64();
        var lists = new ShardSearchHit[reader.ReadInt32()][];
        for (var q = 0; q < lists.Length; q++)
        {
            var hits = lists[q] = new ShardSearchHit[reader.ReadInt32()];
            for (var h = 0; h < hits.Length; h++)
            {
                var id = reader.ReadString();
                var score = reader.ReadSingle();
                var mapped = reader.ReadBoolean();
                var payload = ReadOptional(reader);
                var vectorCount = reader.ReadInt32();
                Dictionary<string, float[]>? vectors = null;
                if (vectorCount >= 0)
                {
                    vectors = new Dictionary<string, float[]>(vectorCount, StringComparer.Ordinal);
                    for (var v = 0; v < vectorCount; v++)
                    {
                        vectors.Add(reader.ReadString(), ReadFloats(reader));
                    }
                }

                hits[h] = new ShardSearchHit(id, score, mapped, payload, vectors);
            }
        }

        return new ShardSearchResponse(applied, lists);
    }

    private static BinaryReader Open(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        var format = bytes.Length == 0 ? (byte)0 : reader.ReadByte();
        if (format != Format)
        {
            reader.Dispose();
            throw new InvalidDataException($"shard search message of format {format}; this node reads format {Format} (nodes of different versions in one cluster?)");
        }

        return reader;
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (reader.Read(bytes) != bytes.Length)
        {
            throw new EndOfStreamException("shard search message ends inside a vector");
        }

        return values;
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static void WriteFilter(BinaryWriter writer, PayloadFilter? filter)
    {
        writer.Write(filter is not null);
        if (filter is null)
        {
            return;
        }

        WriteConditions(writer, filter.Must);
        WriteConditions(writer, filter.MustNot);
        WriteConditions(writer, filter.Should);
    }

    private static PayloadFilter? ReadFilter(BinaryReader reader) =>
        reader.ReadBoolean() ? new PayloadFilter(ReadConditions(reader), ReadConditions(reader), ReadConditions(reader)) : null;

    private static void WriteConditions(BinaryWriter writer, IReadOnlyList<FilterCondition> conditions)
    {
        writer.Write(conditions.Count);
        foreach (var condition in conditions)
        {
            writer.Write(condition.Key);
            writer.Write(condition.Path.Count);
            foreach (var part in condition.Path)
            {
                writer.Write(part);
            }

            writer.Write(condition.Match is not null);
            if (condition.Match is { } match)
            {
                writer.Write(match.Values.Count);
                foreach (var value in match.Values)
                {
                    writer.Write((byte)value.Kind);
                    WriteOptional(writer, value.Text);
                    writer.Write(value.Number);
                    writer.Write(value.Boolean);
                }
            }

            writer.Write(condition.Range is not null);
            if (condition.Range is { } range)
            {
                WriteOptionalNumber(writer, range.Gt);
                WriteOptionalNumber(writer, range.Gte);
                WriteOptionalNumber(writer, range.Lt);
                WriteOptionalNumber(writer, range.Lte);
            }
        }
    }

    private static FilterCondition[] ReadConditions(BinaryReader reader)
    {
        var conditions = new FilterCondition[reader.ReadInt32()];
        for (var i = 0; i < conditions.Length; i++)
        {
            var key = reader.ReadString();
            var path = new string[reader.ReadInt32()];
            for (var p = 0; p < path.Length; p++)
            {
                path[p] = reader.ReadString();
            }

            MatchCondition? match = null;
            if (reader.ReadBoolean())
            {
                var values = new ScalarValue[reader.ReadInt32()];
                for (var v = 0; v < values.Length; v++)
                {
                    values[v] = new ScalarValue((ScalarKind)reader.ReadByte(), ReadOptional(reader), reader.ReadDouble(), reader.ReadBoolean());
                }

                match = new MatchCondition(values);
            }

            RangeCondition? range = reader.ReadBoolean()
                ? new RangeCondition(ReadOptionalNumber(reader), ReadOptionalNumber(reader), ReadOptionalNumber(reader), ReadOptionalNumber(reader))
                : null;
            conditions[i] = new FilterCondition(key, path, match, range);
        }

        return conditions;
    }

    private static void WriteOptionalNumber(BinaryWriter writer, double? value)
    {
        writer.Write(value.HasValue);
        if (value is { } number)
        {
            writer.Write(number);
        }
    }

    private static double? ReadOptionalNumber(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadDouble() : null;
}

using System.Text;
using Retrieval.Engine.Maps;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The binary form of a migration's evaluation queries as the store keeps them (<c>MigrationUpdate.EvaluationQueries</c>):
/// a magic and a format version, then each query's new and old vectors (little-endian float32) and its relevant ids
/// (UTF-8). Opaque to the store; read back when a node loads the migration, so online refit judges on the same queries
/// after a restart.
/// </summary>
internal static class EvaluationQueryCodec
{
    private const uint Magic = 0x51564552; // "REVQ"
    private const ushort FormatVersion = 1;

    public static byte[] Serialize(IReadOnlyList<MapEvaluationQuery> queries)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(queries.Count);
            foreach (var query in queries)
            {
                WriteVector(writer, query.NewVector);
                WriteVector(writer, query.OldVector);
                writer.Write(query.RelevantIds.Count);
                foreach (var id in query.RelevantIds)
                {
                    writer.Write(id);
                }
            }
        }

        return stream.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not evaluation queries of a format this build reads.</exception>
    public static IReadOnlyList<MapEvaluationQuery> Deserialize(byte[] data)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(data, writable: false), Encoding.UTF8);
            if (reader.ReadUInt32() != Magic || reader.ReadUInt16() is var version && version != FormatVersion)
            {
                throw new InvalidDataException("stored evaluation queries: not a known format");
            }

            var count = reader.ReadInt32();
            var queries = new List<MapEvaluationQuery>(Math.Min(count, 1 << 16));
            for (var i = 0; i < count; i++)
            {
                var newVector = ReadVector(reader);
                var oldVector = ReadVector(reader);
                var relevant = new string[reader.ReadInt32()];
                for (var j = 0; j < relevant.Length; j++)
                {
                    relevant[j] = reader.ReadString();
                }

                queries.Add(new MapEvaluationQuery(newVector, oldVector, relevant));
            }

            return queries;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentOutOfRangeException or OutOfMemoryException)
        {
            throw new InvalidDataException("stored evaluation queries: truncated or corrupt", e);
        }
    }

    private static void WriteVector(BinaryWriter writer, float[] vector)
    {
        writer.Write(vector.Length);
        foreach (var x in vector)
        {
            writer.Write(x);
        }
    }

    private static float[] ReadVector(BinaryReader reader)
    {
        var vector = new float[reader.ReadInt32()];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = reader.ReadSingle();
        }

        return vector;
    }
}

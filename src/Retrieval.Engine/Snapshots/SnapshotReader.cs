using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>Reads a snapshot file back into a <see cref="CollectionState"/>, or says why it cannot be used.</summary>
internal static class SnapshotReader
{
    /// <summary>
    /// Verifies the checksum, then loads the snapshot into a new state for <paramref name="current"/> (the definition in
    /// the store). Throws <see cref="SnapshotUnusableException"/> with the reason when the file is corrupt or stale.
    /// </summary>
    public static CollectionState Read(string path, CollectionDefinition current, long storeLastSequence, IndexingOptions options)
    {
        VerifyChecksum(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var reader = new BinaryReader(file, System.Text.Encoding.UTF8);
        if (!reader.ReadBytes(SnapshotFormat.Magic.Length).AsSpan().SequenceEqual(SnapshotFormat.Magic))
        {
            throw new SnapshotUnusableException("corrupt: not a snapshot file");
        }

        var version = reader.ReadInt32();
        if (version != SnapshotFormat.Version)
        {
            throw new SnapshotUnusableException($"stale: format version {version}, this build reads {SnapshotFormat.Version}");
        }

        var sequence = reader.ReadInt64();
        var createdAt = reader.ReadInt64();
        var definition = CollectionDefinitionJson.Deserialize(current.Name, reader.ReadString(), current.CreatedAt, current.UpdatedAt);
        if (createdAt != SnapshotFormat.Microseconds(current.CreatedAt))
        {
            throw new SnapshotUnusableException("stale: the collection was deleted and created again since");
        }

        if (sequence > storeLastSequence)
        {
            throw new SnapshotUnusableException($"stale: it covers sequence {sequence} but the store ends at {storeLastSequence}");
        }

        if (!SameSpaces(definition, current))
        {
            throw new SnapshotUnusableException("stale: the collection's spaces changed since");
        }

        var state = new CollectionState(current);
        try
        {
            var itemCount = reader.ReadInt32();
            for (var i = 0; i < itemCount; i++)
            {
                // A fresh table hands out slots 0, 1, 2... in order: item number i gets slot i.
                var slot = state.Items.Upsert(reader.ReadString(), reader.ReadString());
                if (slot != i)
                {
                    throw new SnapshotUnusableException($"corrupt: item {i} is a duplicate id");
                }
            }

            var spaceCount = reader.ReadInt32();
            for (var s = 0; s < spaceCount; s++)
            {
                ReadSpace(reader, state, itemCount, options);
            }

            state.RestoreSequence(sequence);
            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static void ReadSpace(BinaryReader reader, CollectionState state, int itemCount, IndexingOptions options)
    {
        var space = state.GetSpace(reader.ReadString());
        var dimension = reader.ReadInt32();
        space.NextSegmentId = reader.ReadInt64();
        var appendableItems = ReadInts(reader);
        var appendableData = ReadFloats(reader);
        for (var row = 0; row < appendableItems.Length; row++)
        {
            space.Set(CheckItem(appendableItems[row], itemCount), appendableData.AsSpan(row * dimension, dimension));
        }

        var sealedCount = reader.ReadInt32();
        for (var i = 0; i < sealedCount; i++)
        {
            var id = reader.ReadInt64();
            var items = ReadInts(reader);
            var data = ReadFloats(reader);
            var live = MemoryMarshal.Cast<byte, ulong>(reader.ReadBytes(reader.ReadInt32() * sizeof(ulong))).ToArray();
            var builtFor = reader.ReadString();
            var indexSpec = reader.ReadString();
            var indexBytes = reader.ReadBytes(reader.ReadInt32());
            var storage = new FlatVectorStorage(dimension, Math.Max(1, items.Length));
            for (var row = 0; row < items.Length; row++)
            {
                storage.Add(data.AsSpan(row * dimension, dimension));
            }

            var index = indexBytes.Length == 0
                ? null
                : VectorIndexFactory.Deserialize(IndexSpec.Parse(indexSpec, dimension, "index"), dimension, space.Definition.Metric, indexBytes, options);
            var segment = new SealedSegment(id, storage, items, index)
            {
                BuiltFor = builtFor.Length == 0 ? null : IndexSpec.Parse(builtFor, dimension, "index"),
            };
            for (var row = 0; row < items.Length; row++)
            {
                if ((live[row >> 6] & (1UL << (row & 63))) == 0)
                {
                    segment.Kill(row);
                }
                else
                {
                    CheckItem(items[row], itemCount);
                }
            }

            space.Adopt(segment);
        }
    }

    private static int CheckItem(int item, int itemCount) =>
        (uint)item < (uint)itemCount ? item : throw new SnapshotUnusableException($"corrupt: item number {item} out of range");

    private static bool SameSpaces(CollectionDefinition snapshot, CollectionDefinition current) =>
        snapshot.Spaces.Count == current.Spaces.Count &&
        snapshot.Spaces.All(s => current.FindSpace(s.Name) is { } c && c.Dimension == s.Dimension && c.Metric == s.Metric);

    private static void VerifyChecksum(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var trailer = SnapshotFormat.HashBytes + SnapshotFormat.EndMagic.Length;
        if (file.Length < SnapshotFormat.Magic.Length + trailer)
        {
            throw new SnapshotUnusableException($"corrupt: {file.Length} bytes is too short (truncated?)");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var remaining = file.Length - trailer;
        while (remaining > 0)
        {
            var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                throw new SnapshotUnusableException("corrupt: file ended early");
            }

            hash.AppendData(buffer, 0, read);
            remaining -= read;
        }

        var stored = new byte[trailer];
        file.ReadExactly(stored);
        if (!stored.AsSpan(SnapshotFormat.HashBytes).SequenceEqual(SnapshotFormat.EndMagic))
        {
            throw new SnapshotUnusableException("corrupt: the end marker is missing (truncated write?)");
        }

        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored.AsSpan(0, SnapshotFormat.HashBytes)))
        {
            throw new SnapshotUnusableException("corrupt: checksum mismatch");
        }
    }

    private static int[] ReadInts(BinaryReader reader) => MemoryMarshal.Cast<byte, int>(reader.ReadBytes(reader.ReadInt32() * sizeof(int))).ToArray();

    private static float[] ReadFloats(BinaryReader reader) => MemoryMarshal.Cast<byte, float>(reader.ReadBytes(reader.ReadInt32() * sizeof(float))).ToArray();
}

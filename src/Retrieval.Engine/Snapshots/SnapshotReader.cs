using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Search;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>Reads a shard's snapshot file back into a <see cref="Shard"/>, or says why it cannot be used.</summary>
internal static class SnapshotReader
{
    /// <summary>
    /// Verifies the checksum, then loads the snapshot into a new shard <paramref name="shardNumber"/> of
    /// <paramref name="current"/> (the definition in the store). Throws <see cref="SnapshotUnusableException"/> with the
    /// reason when the file is corrupt or stale.
    /// </summary>
    public static Shard Read(string path, CollectionDefinition current, int shardNumber, long storeLastSequence, IndexingOptions options)
    {
        VerifyChecksum(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var reader = new BinaryReader(file, System.Text.Encoding.UTF8);
        if (!reader.ReadBytes(SnapshotFormat.Magic.Length).AsSpan().SequenceEqual(SnapshotFormat.Magic))
        {
            throw new SnapshotUnusableException("corrupt: not a snapshot file");
        }

        var version = reader.ReadInt32();
        if (version is not (SnapshotFormat.Version or SnapshotFormat.ShardedFloatTokensVersion or SnapshotFormat.UnshardedVersion or SnapshotFormat.DenseOnlyVersion))
        {
            throw new SnapshotUnusableException($"stale: format version {version}, this build reads {SnapshotFormat.DenseOnlyVersion}–{SnapshotFormat.Version}");
        }

        if (version == SnapshotFormat.DenseOnlyVersion && current.Spaces.Any(s => s.IsMulti))
        {
            throw new SnapshotUnusableException($"stale: format version {version} holds no multi-vector spaces");
        }

        var sequence = reader.ReadInt64();
        var (number, shards) = version >= SnapshotFormat.ShardedFloatTokensVersion ? (reader.ReadInt32(), reader.ReadInt32()) : (0, 1);
        if (number != shardNumber || shards != current.Shards)
        {
            throw new SnapshotUnusableException($"stale: it holds shard {number} of {shards}, not shard {shardNumber} of {current.Shards}");
        }

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

        var state = new Shard(shardNumber, current);
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
                ReadSpace(reader, name => state.GetSpace(name), itemCount, options);
            }

            var multiCount = version == SnapshotFormat.DenseOnlyVersion ? 0 : reader.ReadInt32();
            if (multiCount != state.MultiVectorSpaces.Count)
            {
                throw new SnapshotUnusableException($"stale: it holds {multiCount} multi-vector spaces, the collection has {state.MultiVectorSpaces.Count}");
            }

            for (var s = 0; s < multiCount; s++)
            {
                ReadMultiSpace(reader, state, itemCount, version, options);
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

    /// <summary>
    /// A multi-vector space: its FDE segments, then per item the kept token rows and the tokens received. The FDEs are
    /// not re-encoded: SameSpaces has checked that the space's settings (and so its pinned encoder) are unchanged.
    /// </summary>
    private static void ReadMultiSpace(BinaryReader reader, Shard state, int itemCount, int version, IndexingOptions options)
    {
        MultiVector.MultiVectorIndex? multi = null;
        ReadSpace(reader, name => (multi = state.MultiVectorSpaces.GetValueOrDefault(name)
            ?? throw new SnapshotUnusableException($"stale: multi-vector space '{name}' is not in the collection")).Fdes, itemCount, options);
        var items = ReadInts(reader);
        var received = ReadInts(reader);
        var keptCounts = ReadInts(reader);
        if (received.Length != items.Length || keptCounts.Length != items.Length)
        {
            throw new SnapshotUnusableException($"corrupt: multi-vector space '{multi!.Definition.Name}' has {items.Length} items, {received.Length} counts and {keptCounts.Length} kept counts");
        }

        var d = multi!.Definition.Dimension;
        for (var i = 0; i < items.Length; i++)
        {
            if (keptCounts[i] < 1 || keptCounts[i] > received[i])
            {
                throw new SnapshotUnusableException($"corrupt: multi-vector item {i} keeps {keptCounts[i]} of {received[i]} tokens");
            }

            Core.MultiVector.StoredTokens kept;
            try
            {
                kept = Core.MultiVector.StoredTokens.ReadFrom(reader, multi.Settings.TokenPrecision, keptCounts[i], d);
            }
            catch (InvalidDataException e)
            {
                throw new SnapshotUnusableException($"corrupt: multi-vector item {i}: {e.Message}");
            }

            multi.Restore(CheckItem(items[i], itemCount), kept, received[i]);
        }

        var codesLength = version >= SnapshotFormat.Version ? reader.ReadInt32() : 0;
        if (codesLength > 0)
        {
            try
            {
                multi.RestoreFdeCodes(reader.ReadBytes(codesLength));
            }
            catch (Exception e) when (e is InvalidDataException or Faiss.FaissException)
            {
                throw new SnapshotUnusableException($"corrupt: multi-vector space '{multi.Definition.Name}': {e.Message}");
            }
        }

        var tokenIndexLength = version >= SnapshotFormat.Version ? reader.ReadInt32() : 0;
        if (tokenIndexLength > 0)
        {
            try
            {
                multi.RestoreTokenIndex(reader.ReadBytes(tokenIndexLength));
            }
            catch (Exception e) when (e is InvalidDataException or Faiss.FaissException)
            {
                throw new SnapshotUnusableException($"corrupt: multi-vector space '{multi.Definition.Name}': {e.Message}");
            }
        }

        if (multi.Count != items.Length || multi.FdeCount != (multi.KeepsFdes ? items.Length : 0))
        {
            throw new SnapshotUnusableException($"corrupt: multi-vector space '{multi.Definition.Name}' has {multi.FdeCount} FDEs for {items.Length} items");
        }
    }

    private static void ReadSpace(BinaryReader reader, Func<string, SpaceIndex> spaceNamed, int itemCount, IndexingOptions options)
    {
        var space = spaceNamed(reader.ReadString());
        var dimension = reader.ReadInt32();
        if (dimension != space.Definition.Dimension)
        {
            throw new SnapshotUnusableException($"corrupt: space '{space.Definition.Name}' has dimension {space.Definition.Dimension}, the snapshot {dimension}");
        }

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
                : VectorIndexFactory.Deserialize(IndexSpec.Parse(indexSpec, dimension, FieldPath.Of("index")), dimension, space.Definition.Metric, indexBytes, options);
            var segment = new SealedSegment(id, storage, items, index)
            {
                BuiltFor = builtFor.Length == 0 ? null : IndexSpec.Parse(builtFor, dimension, FieldPath.Of("index")),
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

    /// <summary>
    /// The sequence a snapshot file covers, from its header (the checksum is not verified: <see cref="Read"/> does that when
    /// it is loaded); leaves <paramref name="file"/> at its start.
    /// </summary>
    public static long SequenceOf(Stream file)
    {
        using (var reader = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            if (!reader.ReadBytes(SnapshotFormat.Magic.Length).AsSpan().SequenceEqual(SnapshotFormat.Magic))
            {
                throw new SnapshotUnusableException("corrupt: not a snapshot file");
            }

            reader.ReadInt32();
            var sequence = reader.ReadInt64();
            file.Position = 0;
            return sequence;
        }
    }

    private static int CheckItem(int item, int itemCount) =>
        (uint)item < (uint)itemCount ? item : throw new SnapshotUnusableException($"corrupt: item number {item} out of range");

    // A multi-vector space must also have the same settings: they pin the encoder (matrices, center) and the pruning
    // that made the stored FDEs and kept tokens.
    private static bool SameSpaces(CollectionDefinition snapshot, CollectionDefinition current) =>
        snapshot.Spaces.Count == current.Spaces.Count &&
        snapshot.Spaces.All(s => current.FindSpace(s.Name) is { } c && c.Dimension == s.Dimension && c.Metric == s.Metric
            && c.Kind == s.Kind && c.MultiVector == s.MultiVector);

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

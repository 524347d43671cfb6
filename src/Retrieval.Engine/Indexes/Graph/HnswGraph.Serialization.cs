using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Retrieval.Engine.Indexes.Graph;

internal sealed partial class HnswGraph
{
    // Layout, little-endian: magic, version, dimension, M, efConstruction, metric (int32), count, entry, top level;
    // keys (int64 × count), levels (byte × count), vectors (float32 × count × dimension), layer 0 (int32 × count ×
    // (2M + 1): a count, then the slots), then for each node above layer 0 in node order its upper layers (int32 × level
    // × (M + 1)).
    private static ReadOnlySpan<byte> Magic => "RHNSWG01"u8;
    private const int FormatVersion = 1;
    private const int HeaderBytes = 8 + (8 * 4);

    /// <summary>True when <paramref name="data"/> starts like a graph written by <see cref="Serialize"/>.</summary>
    public static bool IsSerializedGraph(ReadOnlySpan<byte> data) => data.Length >= HeaderBytes && data[..8].SequenceEqual(Magic);

    /// <summary>Bytes <see cref="Serialize"/> writes (the graph's nodes, links and vectors).</summary>
    public long SerializedLength
    {
        get
        {
            long upper = 0;
            for (var node = 0; node < _count; node++)
            {
                upper += _nodeLevels[node] * (long)(_m + 1);
            }

            return HeaderBytes + (_count * (8L + 1 + (4L * _dimension) + (4L * (_m0 + 1)))) + (4 * upper);
        }
    }

    public byte[] Serialize()
    {
        var length = SerializedLength;
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"a graph of {_count} × {_dimension} takes {length} bytes, more than one snapshot blob holds");
        }

        var data = new byte[length];
        var header = data.AsSpan(8);
        Magic.CopyTo(data);
        Span<int> fields = [FormatVersion, _dimension, _m, EfConstruction, (int)_metric, _count, _entry, _maxLevel];
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header[(4 * i)..], fields[i]);
        }

        var offset = HeaderBytes;
        offset += Write(data, offset, _keys.AsSpan(0, _count));
        offset += Write(data, offset, _nodeLevels.AsSpan(0, _count));
        foreach (var page in _vectors.Used(_count))
        {
            offset += Write(data, offset, page.Span);
        }

        foreach (var page in _level0.Used(_count))
        {
            offset += Write(data, offset, page.Span);
        }

        for (var node = 0; node < _count; node++)
        {
            if (_upper[node] is { } upper)
            {
                offset += Write(data, offset, upper.AsSpan());
            }
        }

        return data;
    }

    /// <summary>Reads a graph written by <see cref="Serialize"/>, with room for <paramref name="capacity"/> nodes.</summary>
    public static HnswGraph Deserialize(ReadOnlySpan<byte> data, int capacity = 0)
    {
        if (!IsSerializedGraph(data))
        {
            throw new InvalidDataException("not a serialized HNSW graph (bad magic or too short)");
        }

        Span<int> fields = stackalloc int[8];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(8 + (4 * i))..]);
        }

        if (fields[0] != FormatVersion)
        {
            throw new InvalidDataException($"HNSW graph format version {fields[0]} is not supported (expected {FormatVersion})");
        }

        int dimension = fields[1], m = fields[2], efConstruction = fields[3], metric = fields[4], count = fields[5], entry = fields[6], maxLevel = fields[7];
        if (dimension <= 0 || m < 2 || efConstruction <= 0 || metric is < 0 or > 1 || count < 0 || entry < -1 || entry >= count
            || maxLevel < -1 || maxLevel > MaxLevel || (count == 0) != (entry == -1))
        {
            throw new InvalidDataException($"HNSW graph header is inconsistent (dimension {dimension}, M {m}, count {count}, entry {entry}, top level {maxLevel})");
        }

        var graph = new HnswGraph(dimension, m, efConstruction, (GraphMetric)metric, Math.Max(count, capacity));
        var offset = HeaderBytes;
        offset += Read(data, offset, graph._keys.AsSpan(0, count));
        offset += Read(data, offset, graph._nodeLevels.AsSpan(0, count));
        for (var node = 0; node < count; node++)
        {
            offset += Read(data, offset, graph._vectors.Of(node));
        }

        for (var node = 0; node < count; node++)
        {
            offset += Read(data, offset, graph._level0.Of(node));
        }

        for (var node = 0; node < count; node++)
        {
            var level = graph._nodeLevels[node];
            if (level > maxLevel)
            {
                throw new InvalidDataException($"HNSW graph node {node} is on level {level}, above the top level {maxLevel}");
            }

            if (level > 0)
            {
                var upper = new int[level * (m + 1)];
                offset += Read(data, offset, upper.AsSpan());
                graph._upper[node] = upper;
            }
        }

        if (offset != data.Length)
        {
            throw new InvalidDataException($"HNSW graph is {data.Length} bytes, its header describes {offset}");
        }

        graph.CheckLinks(count);
        graph._count = count;
        graph._entry = entry;
        graph._maxLevel = maxLevel;
        return graph;
    }

    /// <summary>A copy with room for <paramref name="capacity"/> nodes, whose adds use <paramref name="efConstruction"/>.</summary>
    public HnswGraph CopyWithRoomFor(int capacity, int efConstruction)
    {
        var count = _count;
        var copy = new HnswGraph(_dimension, _m, efConstruction, _metric, 1)
        {
            _vectors = _vectors.Copy(count, Math.Max(count, capacity)),
            _level0 = _level0.Copy(count, Math.Max(count, capacity)),
            _keys = new long[Math.Max(count, capacity)],
            _nodeLevels = new byte[Math.Max(count, capacity)],
            _upper = new int[]?[Math.Max(count, capacity)],
            _count = count,
            _entry = _entry,
            _maxLevel = _maxLevel,
        };
        _keys.AsSpan(0, count).CopyTo(copy._keys);
        _nodeLevels.AsSpan(0, count).CopyTo(copy._nodeLevels);
        for (var node = 0; node < count; node++)
        {
            copy._upper[node] = _upper[node]?.ToArray();
        }

        // The copy draws the levels of its new nodes after the ones already drawn, as this graph would have.
        for (var node = 0; node < count; node++)
        {
            copy.DrawLevel();
        }

        return copy;
    }

    // Every stored neighbour must be a node of the graph and every count within its list, or a search would read
    // outside the graph.
    private void CheckLinks(int count)
    {
        for (var node = 0; node < count; node++)
        {
            for (var layer = 0; layer <= _nodeLevels[node]; layer++)
            {
                var links = layer == 0 ? _level0.Of(node) : _upper[node].AsSpan((layer - 1) * (_m + 1), _m + 1);
                var n = links[0];
                if (n < 0 || n > links.Length - 1)
                {
                    throw new InvalidDataException($"HNSW graph node {node} has {n} neighbours on layer {layer}, more than its list holds");
                }

                foreach (var neighbour in links.Slice(1, n))
                {
                    if ((uint)neighbour >= (uint)count || _nodeLevels[neighbour] < layer)
                    {
                        throw new InvalidDataException($"HNSW graph node {node} links to {neighbour} on layer {layer}, which is not a node of that layer");
                    }
                }
            }
        }
    }

    private static int Write<T>(byte[] data, int offset, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        bytes.CopyTo(data.AsSpan(offset));
        return bytes.Length;
    }

    private static int Read<T>(ReadOnlySpan<byte> data, int offset, Span<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (data.Length - offset < bytes.Length)
        {
            throw new InvalidDataException($"HNSW graph ends at byte {data.Length}, before its data does");
        }

        data.Slice(offset, bytes.Length).CopyTo(bytes);
        return bytes.Length;
    }
}

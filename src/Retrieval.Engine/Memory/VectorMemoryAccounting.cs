using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Memory;

/// <summary>
/// How many bytes the in-memory indexes hold, and how many a write would add: the accounting behind
/// <see cref="EngineOptions.MaxVectorMemoryBytes"/>.
/// </summary>
/// <remarks>
/// A space holds its live vectors' float32 rows (dimension × 4 each) and its approximate indexes. A built index is
/// counted at its engine's own size (<see cref="IVectorIndex.MemoryBytes"/>: its structures as laid out, without allocator reserve),
/// in proportion to its live rows; a live vector not yet indexed at the spec's estimate
/// (<see cref="EstimatedIndexBytesPerVector"/>), since it will be. A multi-vector space adds the token vectors it
/// keeps (in their stored precision, plus a token first stage's index). A write is charged what it adds: new vectors at row + estimate. Counting live
/// rows makes deletes free their bytes at once; what it leaves out (the appendable segment's spare capacity, rows
/// tombstoned until the optimizer rewrites their segment, a build's new index beside the old one) is documented in
/// docs/operations.md as headroom.
/// </remarks>
internal static class VectorMemoryAccounting
{
    /// <summary>The memory of every space of a collection, over its shards, in definition order. Caller holds a lock.</summary>
    public static IReadOnlyList<SpaceMemory> Of(CollectionState state) =>
        [.. state.Definition.Spaces.Select(space => space.IsMulti
            ? Sum(space.Name, state.Shards.Select(shard => Of(shard.GetMultiVectorSpace(space.Name))))
            : Sum(space.Name, state.Shards.Select(shard => Of(shard.GetSpace(space.Name)))))];

    /// <summary>Everything a collection counts against the budget. Caller holds a lock.</summary>
    public static long TotalOf(CollectionState state) => Of(state).Sum(s => s.TotalBytes);

    /// <summary>A dense space's (or an FDE index's) live vectors, rows and index bytes.</summary>
    public static SpaceMemory Of(SpaceIndex space)
    {
        long vectors = space.Count;
        return new SpaceMemory(space.Definition.Name, vectors, vectors * RowBytes(space), IndexBytes(space), 0);
    }

    /// <summary>
    /// A multi-vector space: its FDEs as the space holds them (float32 rows or PQ codes, with any index over them), plus
    /// the kept token vectors in their stored precision and the token index of a token first stage.
    /// </summary>
    public static SpaceMemory Of(MultiVectorIndex multi) =>
        Of(multi.Fdes) with
        {
            Space = multi.Definition.Name,
            Vectors = multi.Count,
            VectorBytes = multi.FdeBytes,
            TokenBytes = multi.TokenBytes + multi.TokenIndexBytes,
        };

    /// <summary>
    /// The bytes <paramref name="batch"/> would add to <paramref name="state"/>: for each (item, space) that gains a
    /// vector it had not, the space's bytes per vector; a vector that replaces one adds nothing, except the difference
    /// in kept tokens of a multi-vector. Deletes are not subtracted (a batch that mixes both is judged by what it adds).
    /// Caller holds the collection's write gate; this takes the read lock.
    /// </summary>
    public static long CostOf(CollectionState state, WriteBatch batch, IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared) =>
        batch.Upserts.Count == 0 ? 0 : state.Read(s =>
        {
            var seen = new HashSet<(string Id, string Space)>();
            long bytes = 0;
            double indexShare = 0;
            // Later writes of the same id in one batch replace the earlier ones: the last one counts.
            for (var i = batch.Upserts.Count - 1; i >= 0; i--)
            {
                var write = batch.Upserts[i];
                var shard = s.ShardOf(write.Id);
                var slot = shard.Items.TryGetSlot(write.Id, out var existing) ? existing : -1;
                foreach (var (name, vector) in write.Vectors)
                {
                    if (!seen.Add((write.Id, name)))
                    {
                        continue;
                    }

                    if (shard.MultiVectorSpaces.TryGetValue(name, out var multi))
                    {
                        var tokens = prepared is not null && prepared.TryGetValue((write.Id, name), out var ready)
                            ? ready.Kept.Count
                            : vector.Length / multi.Definition.Dimension; // before pruning: an upper bound
                        var kept = slot >= 0 && multi.KeptCountOf(slot) is { } count ? count : 0;
                        bytes += (tokens - kept) * multi.BytesPerKeptToken;
                        if (slot < 0 || multi.KeptCountOf(slot) is null)
                        {
                            bytes += multi.BytesPerFde;
                            indexShare += multi.KeepsFdes ? MarginalIndexBytes(multi.Fdes) : 0;
                        }
                    }
                    else if (slot < 0 || !shard.GetSpace(name).Contains(slot))
                    {
                        var space = shard.GetSpace(name);
                        bytes += RowBytes(space);
                        indexShare += MarginalIndexBytes(space);
                    }
                }
            }

            return bytes + (long)Math.Ceiling(indexShare);
        });

    /// <summary>
    /// The bytes of a space's approximate indexes: each built index's own figure (<see cref="IVectorIndex.MemoryBytes"/>)
    /// scaled by the share of its rows still live (a segment's tombstoned rows are freed by the optimizer's rebuild,
    /// which a delete makes due), plus the spec's estimate for each live vector not yet in an index (it will be).
    /// 0 without a spec.
    /// </summary>
    public static long IndexBytes(SpaceIndex space)
    {
        if (space.Spec is not { } spec)
        {
            return 0;
        }

        double bytes = 0;
        long indexed = 0;
        foreach (var segment in space.Sealed)
        {
            if (segment.Index is { } index && segment.Count > 0)
            {
                bytes += (double)index.MemoryBytes * segment.LiveCount / segment.Count;
                indexed += segment.LiveCount;
            }
        }

        return (long)Math.Round(bytes + ((space.Count - indexed) * MarginalIndexBytes(space, spec)));
    }

    /// <summary>
    /// What one vector costs in an index of <paramref name="spec"/> before any is built to measure. HNSW (USearch): the
    /// vector at the graph's scalar width, the node's key and level (10 bytes), its lookup entry (8), its base-layer
    /// neighbour list (a 4-byte count and 2M 4-byte slots) and the expected upper layers (each node reaches layer l with
    /// probability 1/M^l: (4 + 4M)/(M − 1) bytes). IVF (Faiss): the code (float32 rows, 8-bit scalars or m × bits PQ
    /// bits) and its 8-byte id in the inverted list; centroids and codebooks are per segment and appear once measured.
    /// </summary>
    public static double EstimatedIndexBytesPerVector(IndexSpec spec, int dimension, Metric metric) => spec.Kind switch
    {
        IndexKind.Hnsw => GraphBytes(spec.M, 4.0 * dimension),
        IndexKind.HnswSq8 => GraphBytes(spec.M, (metric == Metric.Cosine ? 1.0 : 2.0) * dimension),
        IndexKind.IvfFlat => (4.0 * dimension) + 8,
        IndexKind.IvfSq8 => dimension + 8.0,
        IndexKind.IvfPq => Math.Ceiling(spec.PqM * spec.PqBits / 8.0) + 8,
        _ => 0,
    };

    private static double GraphBytes(int m, double vectorBytes) => vectorBytes + 10 + 8 + 4 + (8.0 * m) + ((4.0 + (4.0 * m)) / (m - 1));

    /// <summary>What one more vector adds to the space's index: the spec's estimate; 0 without a spec.</summary>
    private static double MarginalIndexBytes(SpaceIndex space) => space.Spec is { } spec ? MarginalIndexBytes(space, spec) : 0;

    private static double MarginalIndexBytes(SpaceIndex space, IndexSpec spec) =>
        EstimatedIndexBytesPerVector(spec, space.Definition.Dimension, space.Definition.Metric);

    private static long RowBytes(SpaceIndex space) => (long)space.Definition.Dimension * sizeof(float);

    private static SpaceMemory Sum(string space, IEnumerable<SpaceMemory> shards)
    {
        long vectors = 0, vectorBytes = 0, indexBytes = 0, tokenBytes = 0;
        foreach (var shard in shards)
        {
            vectors += shard.Vectors;
            vectorBytes += shard.VectorBytes;
            indexBytes += shard.IndexBytes;
            tokenBytes += shard.TokenBytes;
        }

        return new SpaceMemory(space, vectors, vectorBytes, indexBytes, tokenBytes);
    }
}

using Retrieval.Core.Model;

namespace Retrieval.Core.Storage;

/// <summary>
/// The shard of every id a <see cref="WriteBatch"/> writes, in the batch's order: <see cref="Upserts"/>[i] is the shard of
/// <see cref="WriteBatch.Upserts"/>[i], <see cref="Deletes"/>[i] that of <see cref="WriteBatch.Deletes"/>[i]. The engine computes
/// them (<see cref="ShardAssignment"/> with the collection's shard count); the store records them beside the rows so that a
/// shard's changes can be read on their own (<see cref="IItemStore.ReadShardChangesAsync"/>).
/// </summary>
public sealed record BatchShards(IReadOnlyList<int> Upserts, IReadOnlyList<int> Deletes)
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless there is one shard per id of <paramref name="batch"/>, each between 0 and
    /// <see cref="ShardAssignment.MaxShards"/> − 1: a caller's mistake, found before anything is written.
    /// </summary>
    public void EnsureMatches(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Upserts.Count != batch.Upserts.Count || Deletes.Count != batch.Deletes.Count)
        {
            throw new ArgumentException(
                $"the batch's shards ({Upserts.Count} upserts, {Deletes.Count} deletes) do not match its ids ({batch.Upserts.Count} upserts, {batch.Deletes.Count} deletes)",
                nameof(batch));
        }

        foreach (var shard in Upserts.Concat(Deletes))
        {
            if (shard is < 0 or >= ShardAssignment.MaxShards)
            {
                throw new ArgumentException($"shard {shard} is outside 0 to {ShardAssignment.MaxShards - 1}", nameof(batch));
            }
        }
    }

    /// <summary>The shard of upsert <paramref name="index"/> of <paramref name="batch"/>: 0 when the batch carries none.</summary>
    public static int OfUpsert(WriteBatch batch, int index) => batch.Shards?.Upserts[index] ?? 0;

    /// <summary>The shard of delete <paramref name="index"/> of <paramref name="batch"/>: 0 when the batch carries none.</summary>
    public static int OfDelete(WriteBatch batch, int index) => batch.Shards?.Deletes[index] ?? 0;
}

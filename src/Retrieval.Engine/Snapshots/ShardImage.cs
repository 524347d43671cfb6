using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Indexes;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Snapshots;

/// <summary>
/// A consistent picture of one shard at one sequence, captured under the collection's read lock and written without it.
/// Items are numbered by their position in <see cref="Ids"/>; spaces refer to items by that number (slots are not
/// stable across restarts). Sealed rows and indexes are immutable, so they are referenced, not copied.
/// </summary>
internal sealed record ShardImage(long Sequence, CollectionDefinition Definition, int ShardNumber, string[] Ids, string[] Payloads, SpaceImage[] Spaces, MultiSpaceImage[] MultiSpaces)
{
    /// <summary>Caller holds the collection's read lock.</summary>
    public static ShardImage Capture(Shard state)
    {
        var itemOfSlot = new int[state.Items.SlotCapacity];
        var ids = new List<string>(state.Items.Count);
        var payloads = new List<string>(state.Items.Count);
        for (var slot = 0; slot < itemOfSlot.Length; slot++)
        {
            if (state.Items[slot] is { } item)
            {
                itemOfSlot[slot] = ids.Count;
                ids.Add(item.Id);
                payloads.Add(item.PayloadJson);
            }
            else
            {
                itemOfSlot[slot] = -1;
            }
        }

        var spaces = state.Spaces.Select(p => SpaceImage.Capture(p.Key, p.Value, itemOfSlot)).ToArray();
        var multi = state.MultiVectorSpaces.Select(p => MultiSpaceImage.Capture(p.Key, p.Value, itemOfSlot)).ToArray();
        return new ShardImage(state.AppliedSequence, state.Definition, state.Number, [.. ids], [.. payloads], spaces, multi);
    }
}

internal sealed record SpaceImage(string Name, int Dimension, long NextSegmentId, float[] AppendableData, int[] AppendableItems, SegmentImage[] Sealed)
{
    public static SpaceImage Capture(string name, SpaceIndex space, int[] itemOfSlot)
    {
        var appendable = space.Appendable;
        var dimension = space.Definition.Dimension;
        var data = appendable.Storage.RawData.AsSpan(0, appendable.Count * dimension).ToArray();
        var items = new int[appendable.Count];
        for (var row = 0; row < items.Length; row++)
        {
            items[row] = itemOfSlot[appendable.SlotOfRow(row)];
        }

        var sealedImages = space.Sealed.Select(s => new SegmentImage(
            s.Id,
            s.Storage,
            // A dead row's slot may hold another item now (or none): its number is never read back, so −1.
            s.RowToSlot.Select((slot, row) => s.Live.Contains(row) ? itemOfSlot[slot] : -1).ToArray(),
            s.Live.Words.ToArray(),
            s.BuiltFor,
            s.Index)).ToArray();
        return new SpaceImage(name, dimension, space.NextSegmentId, data, items, sealedImages);
    }
}

/// <summary>
/// A multi-vector space: its FDE segments (exactly like a dense space's, so built FDE indexes survive a restart) and
/// per item the kept (pruned) token vectors, as stored, and the count of tokens received; for a space whose FDEs are PQ
/// codes, the trained codebooks (the codes are re-made from the stored tokens on load); for a space whose first stage
/// is the token index, that index trained and empty (the stored tokens are added again on load). Stored tokens are immutable:
/// referenced.
/// </summary>
internal sealed record MultiSpaceImage(string Name, SpaceImage Fdes, int[] Items, int[] TokensReceived, StoredTokens[] Kept, byte[]? FdeCodesState, byte[]? TokenIndexState)
{
    public static MultiSpaceImage Capture(string name, MultiVectorIndex multi, int[] itemOfSlot)
    {
        var entries = multi.Entries().OrderBy(e => e.Slot).ToArray();
        return new MultiSpaceImage(
            name,
            SpaceImage.Capture(name, multi.Fdes, itemOfSlot),
            [.. entries.Select(e => itemOfSlot[e.Slot])],
            [.. entries.Select(e => e.TokensReceived)],
            [.. entries.Select(e => e.Kept)],
            multi.FdeCodesState,
            multi.TokenIndexState);
    }
}

internal sealed record SegmentImage(long Id, FlatVectorStorage Storage, int[] Items, ulong[] LiveWords, IndexSpec? BuiltFor, IVectorIndex? Index);

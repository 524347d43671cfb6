namespace Retrieval.Faiss;

/// <summary>
/// The ids a search may return, handed to Faiss as an <c>IDSelector</c>. The memory is pinned only
/// for the duration of each search, so one filter may be reused across searches.
/// </summary>
public sealed class FaissIdFilter
{
    private FaissIdFilter(ReadOnlyMemory<ulong> bitset, ReadOnlyMemory<long> ids, bool isBitset)
    {
        Bitset = bitset;
        Ids = ids;
        IsBitset = isBitset;
    }

    internal ReadOnlyMemory<ulong> Bitset { get; }

    internal ReadOnlyMemory<long> Ids { get; }

    internal bool IsBitset { get; }

    internal bool IsEmpty => IsBitset ? Bitset.IsEmpty : Ids.IsEmpty;

    /// <summary>
    /// Allows id <c>i</c> when bit <c>i % 64</c> of <c>words[i / 64]</c> is set; ids past the end are excluded.
    /// The layout the engine's row filters use. Becomes an <c>IDSelectorBitmap</c>
    /// (a bit test per candidate): the choice for dense filters.
    /// </summary>
    public static FaissIdFilter FromBitset(ReadOnlyMemory<ulong> words)
    {
        // IDSelectorBitmap reads bytes; ulong words map onto them bit for bit only on little-endian machines.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("bitset filters assume a little-endian machine");
        }

        return new FaissIdFilter(words, default, isBitset: true);
    }

    /// <summary>Allows exactly the listed ids. Becomes an <c>IDSelectorBatch</c> (a hash set): the choice for sparse filters.</summary>
    public static FaissIdFilter FromIds(ReadOnlyMemory<long> ids) => new(default, ids, isBitset: false);
}

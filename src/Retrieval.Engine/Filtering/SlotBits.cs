using System.Numerics;

namespace Retrieval.Engine.Filtering;

/// <summary>A bitset over item slots: what an indexed filter evaluates to before it is mapped to a space's rows.</summary>
internal sealed class SlotBits
{
    private readonly ulong[] _words;

    public SlotBits(int slotCount)
    {
        SlotCount = slotCount;
        _words = new ulong[(slotCount + 63) >> 6];
    }

    public int SlotCount { get; }

    public void Set(int slot) => _words[slot >> 6] |= 1UL << (slot & 63);

    public bool Contains(int slot) => (uint)slot < (uint)SlotCount && (_words[slot >> 6] & (1UL << (slot & 63))) != 0;

    public void And(SlotBits other)
    {
        for (var i = 0; i < _words.Length; i++)
        {
            _words[i] &= other._words[i];
        }
    }

    public void Or(SlotBits other)
    {
        for (var i = 0; i < _words.Length; i++)
        {
            _words[i] |= other._words[i];
        }
    }

    public void AndNot(SlotBits other)
    {
        for (var i = 0; i < _words.Length; i++)
        {
            _words[i] &= ~other._words[i];
        }
    }

    public int Count()
    {
        var count = 0;
        foreach (var word in _words)
        {
            count += BitOperations.PopCount(word);
        }

        return count;
    }

    /// <summary>The set slots in ascending order.</summary>
    public IEnumerable<int> Slots()
    {
        for (var i = 0; i < _words.Length; i++)
        {
            var word = _words[i];
            while (word != 0)
            {
                yield return (i << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
    }
}

using System.Runtime.InteropServices;

namespace Retrieval.USearch;

public sealed partial class UsearchIndex
{
    /// <summary>
    /// Writes up to <paramref name="k"/> nearest keys and their distances (lower is better), best first, and returns
    /// how many were found. <paramref name="expansion"/> is efSearch (0: the index default; raised to k when smaller).
    /// With <paramref name="allowedKeys"/>, only keys whose bit is set are returned: key i is allowed when bit i % 64 of
    /// word i / 64 is set; keys past the end are excluded. The predicate runs inside the graph walk.
    /// </summary>
    public unsafe int Search(ReadOnlySpan<float> query, int k, int expansion, ReadOnlySpan<ulong> allowedKeys, bool filtered, Span<ulong> keys, Span<float> distances)
    {
        CheckDimension(query, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (keys.Length < k || distances.Length < k)
        {
            throw new ArgumentException($"k={k} needs {k} slots in keys and distances");
        }

        var wanted = expansion <= 0 ? _expansion : Math.Max(expansion, k);
        _searchSlots.Wait();
        try
        {
            _expansionLock.EnterUpgradeableReadLock();
            try
            {
                if (wanted != _expansion)
                {
                    _expansionLock.EnterWriteLock();
                    try
                    {
                        NativeMethods.usearch_change_expansion_search(_handle, (nuint)wanted, out var changeError);
                        UsearchException.ThrowIfFailed(changeError);
                        _expansion = wanted;
                    }
                    finally
                    {
                        _expansionLock.ExitWriteLock();
                    }
                }

                return SearchNative(query, k, allowedKeys, filtered, keys, distances);
            }
            finally
            {
                _expansionLock.ExitUpgradeableReadLock();
            }
        }
        finally
        {
            _searchSlots.Release();
        }
    }

    private unsafe int SearchNative(ReadOnlySpan<float> query, int k, ReadOnlySpan<ulong> allowedKeys, bool filtered, Span<ulong> keys, Span<float> distances)
    {
        nuint found;
        nint error;
        fixed (float* q = query)
        fixed (ulong* outKeys = keys)
        fixed (float* outDistances = distances)
        {
            if (!filtered)
            {
                found = NativeMethods.usearch_search(_handle, q, NativeMethods.ScalarF32, (nuint)k, outKeys, outDistances, out error);
            }
            else
            {
                fixed (ulong* words = allowedKeys)
                {
                    var state = new BitsetState { Words = words, WordCount = allowedKeys.Length };
                    found = NativeMethods.usearch_filtered_search(
                        _handle, q, NativeMethods.ScalarF32, (nuint)k, &AllowedByBitset, &state, outKeys, outDistances, out error);
                }
            }
        }

        UsearchException.ThrowIfFailed(error);
        return (int)found;
    }

    [UnmanagedCallersOnly]
    private static unsafe int AllowedByBitset(ulong key, void* state)
    {
        var bits = (BitsetState*)state;
        var word = key >> 6;
        return word < (ulong)bits->WordCount && (bits->Words[word] & (1UL << (int)(key & 63))) != 0 ? 1 : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct BitsetState
    {
        public ulong* Words;
        public long WordCount;
    }
}

using System.Runtime.InteropServices;

namespace Retrieval.USearch;

public sealed partial class UsearchIndex
{
    /// <summary>
    /// Writes up to <paramref name="k"/> nearest keys and their distances (lower is better), best first, and returns
    /// how many were found. <paramref name="expansion"/> is efSearch (0: the value the index was created with; raised
    /// to k when smaller).
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

        var wanted = Math.Max(expansion <= 0 ? _defaultExpansion : expansion, k);
        _searchSlots.Wait();
        try
        {
            // The common case, a search with the expansion already set, holds the lock shared so that searches run
            // concurrently. (An upgradeable read lock would serialize them: only one thread may hold it at a time.)
            _expansionLock.EnterReadLock();
            try
            {
                if (wanted == _expansion)
                {
                    return SearchNative(query, k, allowedKeys, filtered, keys, distances);
                }
            }
            finally
            {
                _expansionLock.ExitReadLock();
            }

            // Another expansion: switch it and search under the write lock, so no search sees a half-made switch and
            // this search runs with the value it asked for even if another switch is waiting.
            _expansionLock.EnterWriteLock();
            try
            {
                if (wanted != _expansion)
                {
                    NativeMethods.usearch_change_expansion_search(_handle, (nuint)wanted, out var changeError);
                    UsearchException.ThrowIfFailed(changeError);
                    _expansion = wanted;
                }

                return SearchNative(query, k, allowedKeys, filtered, keys, distances);
            }
            finally
            {
                _expansionLock.ExitWriteLock();
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

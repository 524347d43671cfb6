using System.IO.Hashing;
using System.Text;

namespace Retrieval.Core.Model;

/// <summary>
/// Which shard of a collection holds an item: <c>XxHash64(UTF-8 bytes of the id, seed 0) mod shards</c>, with the
/// 64-bit hash read as an unsigned integer. The same on every platform and in every process (no per-process
/// randomisation, unlike <see cref="string.GetHashCode()"/>), so a shard's items can be found again after a restart or on
/// another node. Documented in docs/architecture.md; changing it would move items between shards.
/// </summary>
public static class ShardAssignment
{
    /// <summary>Most shards one collection may have.</summary>
    public const int MaxShards = 64;

    /// <summary>The shard of <paramref name="id"/> among <paramref name="shards"/> (1 to <see cref="MaxShards"/>).</summary>
    public static int ShardOf(string id, int shards)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (shards == 1)
        {
            return 0;
        }

        var length = Encoding.UTF8.GetByteCount(id);
        Span<byte> bytes = length <= 512 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(id, bytes);
        return (int)(XxHash64.HashToUInt64(bytes) % (ulong)shards);
    }
}

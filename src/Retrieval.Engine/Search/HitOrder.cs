namespace Retrieval.Engine.Search;

/// <summary>
/// The order in which hits from several shards merge: higher score first, then native before mapped, then by item id
/// (ordinal). It does not depend on slots or on how items fall into shards, and local and routed searches share it, so
/// a search answered through shard replicas equals a single node's by construction.
/// </summary>
internal static class HitOrder
{
    /// <summary>Negative when hit a comes first.</summary>
    public static int Compare(float scoreA, bool mappedA, string idA, float scoreB, bool mappedB, string idB) =>
        scoreB != scoreA ? scoreB.CompareTo(scoreA)
        : mappedA != mappedB ? mappedA.CompareTo(mappedB)
        : string.CompareOrdinal(idA, idB);
}

using Retrieval.Core.Filtering;

namespace Retrieval.Engine.Cluster;

/// <summary>
/// What one shard (one replica of it, possibly on another node) is asked in a search: the receiving node has already
/// validated and routed every query (<c>QueryPlanner</c>), so a query here is plain data: the space after routing, the
/// vector it searches with, how deep to go and how. Plain records with no engine types, so that a remote shard can
/// answer (<see cref="ShardSearchCodec"/> writes them as bytes).
/// </summary>
/// <param name="Collection">The collection's own name (never an alias).</param>
/// <param name="Shard">The shard's number, 0 to shards − 1.</param>
/// <param name="DefinitionVersion">The definition the plans were made against; an older replica follows it first.</param>
/// <param name="AtLeastSequence">
/// The replica answers only once it has applied the store's changes through this sequence: what the receiving node had
/// applied when it planned, so a node reads its own acknowledged writes.
/// </param>
/// <param name="Queries">The planned queries, answered in order.</param>
public sealed record ShardSearchRequest(string Collection, int Shard, long DefinitionVersion, long AtLeastSequence, IReadOnlyList<ShardQuery> Queries);

/// <summary>One planned dense query as a shard runs it.</summary>
/// <param name="Space">The space searched (after routing through maps or prefixes).</param>
/// <param name="Vector">The query vector in that space.</param>
/// <param name="Depth">Hits wanted from the shard: offset + k of the request (the merge cuts the rest).</param>
/// <param name="Filter">The payload filter, or null.</param>
/// <param name="EfSearch">HNSW search depth; 0 for the configured default.</param>
/// <param name="NProbe">IVF lists probed; 0 for the configured default.</param>
/// <param name="Exact">Scan every segment exactly.</param>
/// <param name="WithPayload">Return each hit's payload JSON.</param>
/// <param name="WithVectors">Return each hit's vectors.</param>
public sealed record ShardQuery(
    string Space, float[] Vector, int Depth, PayloadFilter? Filter, int EfSearch, int NProbe, bool Exact, bool WithPayload, bool WithVectors)
{
    /// <summary>
    /// A multi-vector query: its token vectors as prepared by the receiving node (pruned, carved), row-major, each
    /// <see cref="TokenDimension"/> long; null for a dense query, whose <see cref="Vector"/> is then the query.
    /// </summary>
    public float[]? Tokens { get; init; }

    /// <summary>The length of each token row of <see cref="Tokens"/>.</summary>
    public int TokenDimension { get; init; }

    /// <summary>A multi-vector query's K': the first stage's shortlist, reranked by exact Chamfer.</summary>
    public int Candidates { get; init; }
}

/// <summary>A shard's answer: each query's best hits, best first, and the sequence the replica had applied.</summary>
public sealed record ShardSearchResponse(long AppliedSequence, IReadOnlyList<IReadOnlyList<ShardSearchHit>> Hits);

/// <summary>
/// A hit as a shard answers it: what merging and rendering need without the shard's memory: the id (ties break on
/// it), the score, whether it was found through a map, and the payload and vectors when the query asked for them.
/// </summary>
public sealed record ShardSearchHit(string Id, float Score, bool Mapped, string? PayloadJson, IReadOnlyDictionary<string, float[]>? Vectors);

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// A vector search server driven by the <c>peers</c> load generator: the same queries, the same k, one search per
/// call, with efSearch set per sweep point.
/// </summary>
internal interface IServerPeer : IAsyncDisposable
{
    /// <summary>Name in the tables (with the version where the peer reports one).</summary>
    string Name { get; }

    /// <summary>The largest efSearch the peer accepts (pgvector: 1000).</summary>
    int MaxEf { get; }

    /// <summary>The server's process; it and its children are what <see cref="ProcessTree"/> measures and renices.</summary>
    int ServerProcessId { get; }

    /// <summary>Makes the calls that follow search with this efSearch.</summary>
    ValueTask UseEfAsync(int ef);

    /// <summary>One search for query <paramref name="q"/>: the k rows found, best first (fewer if fewer came back).</summary>
    Task<long[]> SearchAsync(int q);
}

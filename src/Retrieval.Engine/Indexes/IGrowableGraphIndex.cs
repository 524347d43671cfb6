namespace Retrieval.Engine.Indexes;

/// <summary>
/// A graph index that a merge can grow: the rows of other segments are inserted into a copy of it instead of building
/// a new graph (HNSW built by insertion is the same algorithm as a bulk build).
/// </summary>
internal interface IGrowableGraphIndex : IVectorIndex
{
    /// <summary>
    /// A copy with room for <paramref name="capacity"/> vectors in all, whose adds use the spec's efConstruction. It
    /// only reads this index, so searches on this one go on meanwhile.
    /// </summary>
    IVectorIndex CopyWithRoomFor(long capacity, IndexingOptions options);
}

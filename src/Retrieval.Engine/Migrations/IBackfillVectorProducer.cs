namespace Retrieval.Engine.Migrations;

/// <summary>An item handed to a <see cref="IBackfillVectorProducer"/>: its id, payload JSON and current vectors by space.</summary>
public sealed record BackfillSourceItem(string Id, string PayloadJson, IReadOnlyDictionary<string, float[]> Vectors);

/// <summary>
/// The seam for server-side backfill (source b): produces new-space vectors for items, e.g. by re-encoding each item's
/// stored raw input with the new space's encoder. The backfill worker calls it outside every lock, then commits the
/// vectors with the migration's cursor in one transaction.
/// </summary>
public interface IBackfillVectorProducer
{
    /// <summary>True when this producer can fill <paramref name="space"/> of <paramref name="collection"/> with <paramref name="encoder"/>.</summary>
    bool CanProduce(string collection, string space, string encoder);

    /// <summary>
    /// One vector per item, in order; null for an item that has nothing to encode (it is left for the client). The vectors
    /// are validated against the space like any write.
    /// </summary>
    Task<IReadOnlyList<float[]?>> ProduceAsync(string collection, string space, string encoder, IReadOnlyList<BackfillSourceItem> items, CancellationToken cancellationToken);
}

using Retrieval.Core.Maps;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Migrations;

/// <summary>An item handed to a <see cref="IBackfillVectorProducer"/>: its id, payload JSON and current vectors by space.</summary>
public sealed record BackfillSourceItem(string Id, string PayloadJson, IReadOnlyDictionary<string, float[]> Vectors);

/// <summary>What a server-side backfill fills: the collection as it is now, the migration's two spaces and its encoder name.</summary>
public sealed record BackfillJob(CollectionDefinition Collection, string FromSpace, SpaceDefinition ToSpace, string Encoder)
{
    /// <summary>
    /// For a re-projection migration (no encoder): the gallery side of its two-sided pair, which turns a stored old vector
    /// into the joint-space vector; null for a re-encoding job.
    /// </summary>
    public CompatibilityMap? Reprojection { get; init; }
}

/// <summary>
/// A new-space vector made by a producer, and the raw input it was encoded from (stored as the new space's input when
/// the collection keeps inputs, so a later migration can re-encode again).
/// </summary>
public sealed record ProducedVector(float[] Vector, RawInput? Input);

/// <summary>
/// The seam for server-side backfill (source b): produces new-space vectors for items, e.g. by re-encoding each item's
/// stored raw input with the new space's encoder (<see cref="RawInputBackfillProducer"/>). The backfill worker calls it
/// outside every lock, then commits the vectors with the migration's cursor in one transaction.
/// </summary>
public interface IBackfillVectorProducer
{
    /// <summary>Null when this producer can fill <paramref name="job"/>; otherwise why not (for the operator's error message).</summary>
    string? WhyNot(BackfillJob job);

    /// <summary>
    /// One result per item, in order; null for an item that has nothing to encode (it is left for the client). The vectors
    /// are validated against the space like any write.
    /// </summary>
    Task<IReadOnlyList<ProducedVector?>> ProduceAsync(BackfillJob job, IReadOnlyList<BackfillSourceItem> items, CancellationToken cancellationToken);
}

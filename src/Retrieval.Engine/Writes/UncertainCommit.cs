using Retrieval.Core.Storage;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.Writes;

/// <summary>
/// A batch, or a commit group's batches (one transaction), whose commit outcome the store could not tell (<see cref="StoreWriteOutcome.Unknown"/>: the connection was
/// lost after it was sent), kept until the store can be read again and says whether it committed. Until then the
/// collection's indexes may lag its store by this one batch.
/// </summary>
/// <param name="Batches">The batches as sent to the store (migration marks included), in sequence order.</param>
/// <param name="Prepared">Their prepared multi-vectors (one entry per batch), applied with them if they committed.</param>
/// <param name="AppliedBefore">The collection's applied sequence when they were sent: if committed, they hold the next ones.</param>
internal sealed record UncertainCommit(
    IReadOnlyList<WriteBatch> Batches,
    IReadOnlyList<IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>?> Prepared,
    long AppliedBefore);

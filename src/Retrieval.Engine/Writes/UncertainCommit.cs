using Retrieval.Core.Storage;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.Writes;

/// <summary>
/// A batch whose commit outcome the store could not tell (<see cref="StoreWriteOutcome.Unknown"/>: the connection was
/// lost after it was sent), kept until the store can be read again and says whether it committed. Until then the
/// collection's indexes may lag its store by this one batch.
/// </summary>
/// <param name="Batch">The batch as sent to the store (migration marks included).</param>
/// <param name="Prepared">Its prepared multi-vectors, applied with it if it committed.</param>
/// <param name="AppliedBefore">The collection's applied sequence when it was sent: the batch, if committed, holds the next one.</param>
internal sealed record UncertainCommit(
    WriteBatch Batch,
    IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? Prepared,
    long AppliedBefore);

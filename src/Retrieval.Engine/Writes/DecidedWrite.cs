using Retrieval.Core.Storage;
using Retrieval.Engine.MultiVector;

namespace Retrieval.Engine.Writes;

/// <summary>A batch decided under the write gate (validated, ids resolved, multi-vectors prepared), ready to commit.</summary>
/// <param name="Batch">What the store writes (migration marks and guard are added at commit).</param>
/// <param name="Prepared">Its prepared multi-vectors, applied with it.</param>
/// <param name="Count">The count the client is told (items upserted, or ids that existed and were deleted).</param>
internal sealed record DecidedWrite(
    WriteBatch Batch,
    IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? Prepared,
    long Count);

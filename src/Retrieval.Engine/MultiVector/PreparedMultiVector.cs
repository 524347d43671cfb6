using Retrieval.Core.MultiVector;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// An item's multi-vector made ready for the index outside the collection lock: the vectors kept after pruning, their
/// document FDE, and how many token vectors the client sent.
/// </summary>
internal sealed record PreparedMultiVector(TokenMatrix Kept, float[] Encoding, int TokensReceived);

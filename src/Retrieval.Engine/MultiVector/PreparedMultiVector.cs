using Retrieval.Core.MultiVector;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// An item's multi-vector made ready for the index outside the collection lock: the vectors kept after pruning (in the
/// space's token precision), their document FDE (null in a space whose first stage is the token index), and how many
/// token vectors the client sent.
/// </summary>
internal sealed record PreparedMultiVector(StoredTokens Kept, float[]? Encoding, int TokensReceived);

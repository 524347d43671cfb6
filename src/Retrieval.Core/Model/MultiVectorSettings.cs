using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Model;

/// <summary>
/// The settings of a <see cref="SpaceKind.Multi"/> space: how documents are encoded (MUVERA), pruned (CRISP-style)
/// and searched. Persisted with the space definition; <see cref="EncoderState"/> pins the random matrices.
/// </summary>
public sealed record MultiVectorSettings
{
    /// <summary>Default largest number of token vectors of one item or query.</summary>
    public const int DefaultMaxTokens = 1024;

    /// <summary>Default shortlist length K' of the FDE search before the Chamfer rerank.</summary>
    public const int DefaultCandidates = 100;

    /// <summary>MUVERA parameters; <see cref="MuveraParameters.Dimension"/> equals the space's dimension.</summary>
    public required MuveraParameters Muvera { get; init; }

    /// <summary>Pruning applied to every item at ingest. Default: none.</summary>
    public PruningOptions Pruning { get; init; } = new();

    /// <summary>
    /// Query-side k-means to this many centroids (CRISP's k_q), or null (default) to keep every query token.
    /// </summary>
    public int? QueryCentroids { get; init; }

    /// <summary>Query ball carving threshold τ (merge query tokens with ⟨q, q'⟩ ≥ τ), or null (default) for off.</summary>
    public float? BallCarvingTau { get; init; }

    /// <summary>Largest number of token vectors one item or query may hold. Default <see cref="DefaultMaxTokens"/>.</summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>
    /// Learn the SimHash center (<see cref="MuveraParameters.Center"/>) as the mean of the first this-many token vectors
    /// of the first write to the space, then keep it; null (default) for no learned center. Until that write the
    /// center is unset; the write pins it into <see cref="MuveraParameters.Center"/> and <see cref="EncoderState"/>
    /// before any item is encoded, so every FDE of the space uses the same center.
    /// </summary>
    public int? LearnCenterTokens { get; init; }

    /// <summary>True while a learned center waits for the space's first write.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool AwaitsCenter => LearnCenterTokens is not null && Muvera.Center is null;

    /// <summary>
    /// How the kept token vectors are stored for the exact Chamfer rerank (and returned by reads): float32 (default),
    /// float16 or int8. The document FDE is encoded from the stored values, so it is a function of what is kept.
    /// </summary>
    public TokenPrecision TokenPrecision { get; init; } = TokenPrecision.Full;

    /// <summary>
    /// Product quantization of the document FDEs (flat PQ, asymmetric distance), or null (default) for float32 FDEs.
    /// A space with it takes no <see cref="SpaceDefinition.Index"/>: its codes are its FDE index.
    /// </summary>
    public FdePqOptions? FdePq { get; init; }

    /// <summary>
    /// True when the space trains a first-stage structure once it holds enough items (PQ codebooks, the token index): worth keeping in
    /// snapshots, since a restart from the store trains it again on the items in load order.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool TrainsFirstStage => FdePq is not null || FirstStage == MultiVectorFirstStage.Tokens;

    /// <summary>
    /// The first stage that shortlists the rerank's candidates: MUVERA FDEs (default) or the token-level index. Fixed
    /// when the space is created. A <see cref="MultiVectorFirstStage.Tokens"/> space keeps no FDE and takes no
    /// <see cref="SpaceDefinition.Index"/> or <see cref="FdePq"/>.
    /// </summary>
    public MultiVectorFirstStage FirstStage { get; init; } = MultiVectorFirstStage.Fde;

    /// <summary>The token-level first stage's index settings (used when <see cref="FirstStage"/> is Tokens); defaults when null.</summary>
    public TokenFirstStageOptions? TokenFirstStage { get; init; }

    /// <summary>
    /// Tokens dropped from an encoder's output (raw-text upserts and searches of a space bound to a multi encoder) before
    /// pruning and the FDE. Default none. Token rows sent by a client are kept as sent.
    /// </summary>
    public TokenDrop DropTokens { get; init; } = TokenDrop.None;

    /// <summary>K' used when a search does not set one. Default <see cref="DefaultCandidates"/>.</summary>
    public int Candidates { get; init; } = DefaultCandidates;

    /// <summary>
    /// <see cref="MuveraEncoder.Serialize"/>'s blob in base64, set when the space is created: reloading checks that the
    /// regenerated matrices are bit-identical to the ones the stored encodings were made with. A string, not bytes, so
    /// that definitions compare by value.
    /// </summary>
    public string? EncoderState { get; init; }
}

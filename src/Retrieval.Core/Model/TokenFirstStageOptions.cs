namespace Retrieval.Core.Model;

/// <summary>Which first stage a multi-vector space shortlists its Chamfer rerank candidates with.</summary>
public enum MultiVectorFirstStage
{
    /// <summary>MUVERA: the top K' items by FDE inner product (default).</summary>
    Fde = 0,

    /// <summary>
    /// PLAID/ColBERTv2 style: each query token's nearest item tokens in an approximate index over every stored token;
    /// the candidates are the union of their items. No FDE is kept.
    /// </summary>
    Tokens = 1,
}

/// <summary>
/// The token-level first stage's index (<see cref="MultiVectorFirstStage.Tokens"/>): an inverted-file index over every
/// kept token (float32 rows, or half precision / 8-bit scalars when the space stores its tokens so), trained once when
/// the space first holds <see cref="TrainItems"/> items. Until then the space is small and searched by exact Chamfer.
/// </summary>
public sealed record TokenFirstStageOptions
{
    /// <summary>Default nearest tokens per query token.</summary>
    public const int DefaultNeighbours = 16;

    /// <summary>Default inverted lists probed per query token.</summary>
    public const int DefaultProbes = 16;

    /// <summary>Default number of items whose tokens train the index.</summary>
    public const int DefaultTrainItems = 1000;

    /// <summary>
    /// Inverted lists; 0 (default) chooses 4·√(training tokens). Never more than one list per 39 training tokens (what
    /// k-means needs to place a centroid), and at least one.
    /// </summary>
    public int Lists { get; init; }

    /// <summary>Lists probed per query token (a search's <c>nprobe</c> overrides it).</summary>
    public int Probes { get; init; } = DefaultProbes;

    /// <summary>Nearest item tokens fetched per query token; their items are the candidates.</summary>
    public int Neighbours { get; init; } = DefaultNeighbours;

    /// <summary>The space trains the index when it first holds this many items, on all their tokens.</summary>
    public int TrainItems { get; init; } = DefaultTrainItems;

    /// <summary>The number of lists for <paramref name="trainingTokens"/> training tokens.</summary>
    public int ListsFor(long trainingTokens)
    {
        var wanted = Lists > 0 ? Lists : (int)Math.Round(4 * Math.Sqrt(trainingTokens));
        return (int)Math.Clamp(wanted, 1, Math.Max(1, trainingTokens / 39));
    }
}

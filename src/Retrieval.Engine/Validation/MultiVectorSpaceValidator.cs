using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;

namespace Retrieval.Engine.Validation;

/// <summary>
/// Checks the kind-specific part of a space definition and pins a new multi-vector space's MUVERA state
/// (<see cref="MultiVectorSettings.EncoderState"/>), so its FDEs are reproducible bit for bit after a restart.
/// </summary>
internal static class MultiVectorSpaceValidator
{
    /// <summary>Longest FDE a space may use (floats per item in the FDE index): 2^17, 512 KiB per item.</summary>
    public const int MaxEncodedLength = 1 << 17;

    /// <summary>Most token vectors a learned center may average.</summary>
    public const int MaxLearnCenterTokens = 10_000_000;

    /// <summary>Most tokens a Ward-pooled vector may stand for (more leaves one vector per item anyway).</summary>
    public const int MaxPoolFactor = 1024;

    /// <summary>Most token vectors per item or query a space may allow.</summary>
    public const int MaxTokensLimit = 65536;

    /// <summary>Fewest items a trained structure (PQ codebooks: 256 centroids per code) may be trained on.</summary>
    public const int MinTrainItems = 256;

    /// <summary>Most items a trained structure may wait for before training.</summary>
    public const int MaxTrainItems = 1_000_000;

    /// <summary>Most inverted lists of a token-level first stage.</summary>
    public const int MaxTokenLists = 1 << 20;

    /// <summary>Most nearest tokens per query token of a token-level first stage.</summary>
    public const int MaxTokenNeighbours = 4096;

    /// <summary>
    /// Refuses an FDE index spec on a multi space that keeps no float32 FDEs to index: one with PQ-compressed FDEs (its
    /// codes are searched flat).
    /// </summary>
    public static void CheckIndexAllowed(SpaceDefinition space, string? index, FieldPath field)
    {
        if (string.IsNullOrWhiteSpace(index) || space.MultiVector is not { } settings)
        {
            return;
        }

        if (settings.FdePq is not null)
        {
            throw RetrievalException.Invalid(field, "a multi-vector space with multiVector.fdePq searches its PQ codes flat and keeps no float32 FDEs to index; leave index empty");
        }

        if (settings.FirstStage == MultiVectorFirstStage.Tokens)
        {
            throw RetrievalException.Invalid(field, "a multi-vector space with firstStage TOKENS keeps no FDEs to index (its token index is set by multiVector.tokenFirstStage); leave index empty");
        }
    }

    /// <summary>Each pruning setting on its own, so an error names the field that is wrong.</summary>
    private static void ValidatePruning(PruningOptions pruning, FieldPath field)
    {
        if (!Enum.IsDefined(pruning.Method))
        {
            throw RetrievalException.Invalid(field.Member("method"), $"unknown pruning method {(int)pruning.Method}");
        }

        if (pruning.TargetCount < 1)
        {
            throw RetrievalException.Invalid(field.Member("centroids"), $"must be ≥ 1, got {pruning.TargetCount}");
        }

        if (!(pruning.Ratio > 0 && pruning.Ratio <= 1))
        {
            throw RetrievalException.Invalid(field.Member("ratio"), $"must be in (0, 1], got {pruning.Ratio}");
        }

        if (pruning.PoolFactor is < 1 or > MaxPoolFactor)
        {
            throw RetrievalException.Invalid(field.Member("poolFactor"), $"must be between 1 and {MaxPoolFactor} (tokens per pooled vector), got {pruning.PoolFactor}");
        }

        if (pruning.Iterations < 0)
        {
            throw RetrievalException.Invalid(field.Member("iterations"), $"must be ≥ 0, got {pruning.Iterations}");
        }

        if (!(pruning.DedupDistance >= 0) || !float.IsFinite(pruning.DedupDistance))
        {
            throw RetrievalException.Invalid(field.Member("dedupDistance"), $"must be a finite number ≥ 0, got {pruning.DedupDistance}");
        }

        // The checks above cover every rule of PruningOptions.Validate; it stays the one the pruner itself enforces.
        pruning.Validate();
    }

    public static SpaceDefinition Validate(SpaceDefinition space, FieldPath field)
    {
        if (!Enum.IsDefined(space.Kind))
        {
            throw RetrievalException.Invalid(field.Member("kind"), "must be SPACE_KIND_DENSE or SPACE_KIND_MULTI");
        }

        var multi = field.Member("multiVector");
        if (!space.IsMulti)
        {
            return space.MultiVector is null
                ? space
                : throw RetrievalException.Invalid(multi, "is only allowed on a SPACE_KIND_MULTI space");
        }

        if (space.Metric == Metric.L2)
        {
            throw RetrievalException.Invalid(field.Member("metric"), "a multi-vector space compares tokens by inner product (Chamfer): use METRIC_INNER_PRODUCT, or METRIC_COSINE to normalize every token");
        }

        var settings = space.MultiVector ?? throw RetrievalException.Invalid(multi, "is required for a SPACE_KIND_MULTI space");
        if (settings.Muvera.Dimension != space.Dimension)
        {
            throw RetrievalException.Invalid(multi.Member("muvera"), $"is for dimension {settings.Muvera.Dimension}, the space has {space.Dimension}");
        }

        try
        {
            settings.Muvera.Center?.Validate(space.Dimension);
        }
        catch (ArgumentException e)
        {
            throw RetrievalException.Invalid(multi.Member("muvera").Member("center").Member("values"), e.Message);
        }

        try
        {
            settings.Muvera.Validate();
        }
        catch (ArgumentException e)
        {
            throw RetrievalException.Invalid(multi.Member("muvera"), e.Message);
        }

        if (settings.Muvera.EncodedLength > MaxEncodedLength)
        {
            throw RetrievalException.Invalid(multi.Member("muvera"), $"the encoding would have {settings.Muvera.EncodedLength} dimensions, more than {MaxEncodedLength}; lower R, k_sim or d_proj, or set d_final");
        }

        ValidatePruning(settings.Pruning, multi.Member("pruning"));

        if (settings.FdePq is { } pq)
        {
            var pqField = multi.Member("fdePq");
            if (pq.DimsPerCode < 1 || settings.Muvera.EncodedLength % pq.DimsPerCode != 0)
            {
                throw RetrievalException.Invalid(pqField.Member("dimsPerCode"), $"must be ≥ 1 and divide the FDE length {settings.Muvera.EncodedLength}, got {pq.DimsPerCode}");
            }

            if (pq.TrainItems is < MinTrainItems or > MaxTrainItems)
            {
                throw RetrievalException.Invalid(pqField.Member("trainItems"), $"must be between {MinTrainItems} (one item per centroid) and {MaxTrainItems}, got {pq.TrainItems}");
            }
        }

        if (!Enum.IsDefined(settings.FirstStage))
        {
            throw RetrievalException.Invalid(multi.Member("firstStage"), $"must be FDE or TOKENS, got {(int)settings.FirstStage}");
        }

        if (settings.FirstStage == MultiVectorFirstStage.Tokens && settings.FdePq is not null)
        {
            throw RetrievalException.Invalid(multi.Member("fdePq"), "a space with firstStage TOKENS keeps no FDEs to compress");
        }

        if (settings.TokenFirstStage is { } tokens)
        {
            var tokensField = multi.Member("tokenFirstStage");
            if (settings.FirstStage != MultiVectorFirstStage.Tokens)
            {
                throw RetrievalException.Invalid(tokensField, "applies to firstStage TOKENS only");
            }

            if (tokens.Lists is < 0 or > MaxTokenLists)
            {
                throw RetrievalException.Invalid(tokensField.Member("lists"), $"must be between 0 (automatic) and {MaxTokenLists}, got {tokens.Lists}");
            }

            if (tokens.Probes < 1)
            {
                throw RetrievalException.Invalid(tokensField.Member("probes"), $"must be ≥ 1, got {tokens.Probes}");
            }

            if (tokens.Neighbours is < 1 or > MaxTokenNeighbours)
            {
                throw RetrievalException.Invalid(tokensField.Member("neighbours"), $"must be between 1 and {MaxTokenNeighbours}, got {tokens.Neighbours}");
            }

            if (tokens.TrainItems is < 1 or > MaxTrainItems)
            {
                throw RetrievalException.Invalid(tokensField.Member("trainItems"), $"must be between 1 and {MaxTrainItems}, got {tokens.TrainItems}");
            }
        }

        CheckIndexAllowed(space, space.Index, field.Member("index"));
        if (!string.IsNullOrWhiteSpace(space.Index))
        {
            // The index holds the FDEs (R·2^k_sim·d_proj or d_final floats per item), not the tokens.
            Indexes.IndexSpec.Parse(space.Index, settings.Muvera.EncodedLength, field.Member("index"));
        }

        if (settings.MaxTokens is < 1 or > MaxTokensLimit)
        {
            throw RetrievalException.Invalid(multi.Member("maxTokens"), $"must be between 1 and {MaxTokensLimit}, got {settings.MaxTokens}");
        }

        if (settings.Candidates < 1)
        {
            throw RetrievalException.Invalid(multi.Member("candidates"), $"must be ≥ 1, got {settings.Candidates}");
        }

        if (!Enum.IsDefined(settings.TokenPrecision))
        {
            throw RetrievalException.Invalid(multi.Member("tokenPrecision"), $"must be FLOAT32, FLOAT16 or INT8, got {(int)settings.TokenPrecision}");
        }

        if (settings.QueryCentroids is < 1)
        {
            throw RetrievalException.Invalid(multi.Member("queryCentroids"), $"must be ≥ 1 when set, got {settings.QueryCentroids}");
        }

        if (settings.LearnCenterTokens is { } learn)
        {
            if (learn is < 1 or > MaxLearnCenterTokens)
            {
                throw RetrievalException.Invalid(multi.Member("muvera").Member("center").Member("learnTokens"), $"must be between 1 and {MaxLearnCenterTokens}, got {learn}");
            }

            if (settings.Muvera.Center is not null)
            {
                throw RetrievalException.Invalid(multi.Member("muvera").Member("center"), "give either the center's values or learnTokens, not both");
            }
        }

        if ((settings.DropTokens & ~(TokenDrop.Special | TokenDrop.Punctuation | TokenDrop.StopWords)) != 0)
        {
            throw RetrievalException.Invalid(multi.Member("dropTokens"), $"must combine SPECIAL, PUNCTUATION and STOPWORDS only, got {(int)settings.DropTokens}");
        }

        if (settings.DropTokens != TokenDrop.None && space.Encoder is null)
        {
            throw RetrievalException.Invalid(multi.Member("dropTokens"), "applies to the tokens an encoder makes; name the space's encoder, or drop the tokens before sending rows");
        }

        if (settings.BallCarvingTau is { } tau && !float.IsFinite(tau))
        {
            throw RetrievalException.Invalid(multi.Member("ballCarvingTau"), "must be a finite number");
        }

        // Drawn once here and persisted: a reload regenerates the matrices from the seed and checks the fingerprint.
        return space with { MultiVector = settings with { EncoderState = Convert.ToBase64String(new MuveraEncoder(settings.Muvera).Serialize()) } };
    }
}

using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Engine;
using Proto = Retrieval.Contracts.V1;

namespace Retrieval.Server.Mapping;

/// <summary>Multi-vector space settings and statistics ⇄ their messages. Zero / unset fields take the documented defaults.</summary>
internal static class MultiVectorMapping
{
    public static SpaceKind ToKind(Proto.SpaceKind kind, FieldPath field) => kind switch
    {
        Proto.SpaceKind.Unspecified or Proto.SpaceKind.Dense => SpaceKind.Dense,
        Proto.SpaceKind.Multi => SpaceKind.Multi,
        _ => throw RetrievalException.Invalid(field, $"unknown space kind value {(int)kind}"),
    };

    /// <summary>The settings of a multi space (defaults for every unset field); null for a dense space.</summary>
    public static MultiVectorSettings? ToSettings(Proto.Space space, SpaceKind kind, FieldPath field)
    {
        if (kind != SpaceKind.Multi)
        {
            return space.MultiVector is null
                ? null
                : throw RetrievalException.Invalid(field.Member("multiVector"), "is only allowed on a SPACE_KIND_MULTI space");
        }

        var config = space.MultiVector ?? new Proto.MultiVectorConfig();
        var muvera = config.Muvera ?? new Proto.MuveraConfig();
        var preset = muvera.Preset switch
        {
            Proto.MuveraPreset.Unspecified or Proto.MuveraPreset.Compact => MuveraParameters.CompactPreset(space.Dimension, muvera.Seed),
            Proto.MuveraPreset.EndToEnd => MuveraParameters.EndToEndPreset(space.Dimension, muvera.Seed),
            _ => throw RetrievalException.Invalid(field.Member("multiVector").Member("muvera").Member("preset"), $"unknown preset value {(int)muvera.Preset}"),
        };
        var parameters = preset with
        {
            KSim = muvera.HasKSim ? muvera.KSim : preset.KSim,
            DProj = muvera.DProj != 0 ? muvera.DProj : preset.DProj,
            Repetitions = muvera.Repetitions != 0 ? muvera.Repetitions : preset.Repetitions,
            DFinal = muvera.DFinal != 0 ? muvera.DFinal : null,
            FillEmptyBuckets = !muvera.HasFillEmptyBuckets || muvera.FillEmptyBuckets,
            Center = muvera.Center is { Values.Count: > 0 } center ? new TokenCenter([.. center.Values]) : null,
        };
        if (muvera.Center is { LearnTokens: < 0 })
        {
            throw RetrievalException.Invalid(field.Member("multiVector").Member("muvera").Member("center").Member("learnTokens"), $"must be ≥ 1 when set, got {muvera.Center.LearnTokens}");
        }

        var pruning = config.Pruning ?? new Proto.PruningConfig();
        var defaults = new PruningOptions();
        var options = new PruningOptions
        {
            Method = pruning.Method switch
            {
                Proto.PruningMethod.Unspecified or Proto.PruningMethod.None => PruningMethod.None,
                Proto.PruningMethod.KmeansFixed => PruningMethod.KMeansFixed,
                Proto.PruningMethod.KmeansRatio => PruningMethod.KMeansRatio,
                Proto.PruningMethod.Ward => PruningMethod.WardPooling,
                _ => throw RetrievalException.Invalid(field.Member("multiVector").Member("pruning").Member("method"), $"unknown pruning method value {(int)pruning.Method}"),
            },
            TargetCount = pruning.Centroids != 0 ? pruning.Centroids : defaults.TargetCount,
            Ratio = pruning.Ratio != 0 ? pruning.Ratio : defaults.Ratio,
            PoolFactor = pruning.PoolFactor != 0 ? pruning.PoolFactor : defaults.PoolFactor,
            Iterations = pruning.Iterations != 0 ? pruning.Iterations : defaults.Iterations,
            Seed = pruning.Seed,
            Dedup = pruning.Dedup,
            DedupDistance = pruning.DedupDistance,
        };

        return new MultiVectorSettings
        {
            Muvera = parameters,
            Pruning = options,
            QueryCentroids = config.QueryCentroids != 0 ? config.QueryCentroids : null,
            BallCarvingTau = config.HasBallCarvingTau ? config.BallCarvingTau : null,
            LearnCenterTokens = muvera.Center is { LearnTokens: > 0 } learned ? learned.LearnTokens : null,
            MaxTokens = config.MaxTokens != 0 ? config.MaxTokens : MultiVectorSettings.DefaultMaxTokens,
            Candidates = config.Candidates != 0 ? config.Candidates : MultiVectorSettings.DefaultCandidates,
            FdePq = config.FdePq is { } pq
                ? new FdePqOptions
                {
                    DimsPerCode = pq.DimsPerCode != 0 ? pq.DimsPerCode : FdePqOptions.DefaultDimsPerCode,
                    TrainItems = pq.TrainItems != 0 ? pq.TrainItems : FdePqOptions.DefaultTrainItems,
                }
                : null,
            FirstStage = config.FirstStage switch
            {
                Proto.FirstStage.Unspecified or Proto.FirstStage.Fde => MultiVectorFirstStage.Fde,
                Proto.FirstStage.Tokens => MultiVectorFirstStage.Tokens,
                _ => throw RetrievalException.Invalid(field.Member("multiVector").Member("firstStage"), $"unknown first stage value {(int)config.FirstStage}"),
            },
            TokenFirstStage = config.TokenFirstStage is { } tokens
                ? new TokenFirstStageOptions
                {
                    Lists = tokens.Lists,
                    Probes = tokens.Probes != 0 ? tokens.Probes : TokenFirstStageOptions.DefaultProbes,
                    Neighbours = tokens.Neighbours != 0 ? tokens.Neighbours : TokenFirstStageOptions.DefaultNeighbours,
                    TrainItems = tokens.TrainItems != 0 ? tokens.TrainItems : TokenFirstStageOptions.DefaultTrainItems,
                }
                : null,
            TokenPrecision = config.TokenPrecision switch
            {
                Proto.TokenPrecision.Unspecified or Proto.TokenPrecision.Float32 => TokenPrecision.Full,
                Proto.TokenPrecision.Float16 => TokenPrecision.Float16,
                Proto.TokenPrecision.Int8 => TokenPrecision.ScaledInt8,
                _ => throw RetrievalException.Invalid(field.Member("multiVector").Member("tokenPrecision"), $"unknown token precision value {(int)config.TokenPrecision}"),
            },
            DropTokens = ToDrop(config.DropTokens, field.Member("multiVector").Member("dropTokens")),
        };
    }

    private static TokenDrop ToDrop(Google.Protobuf.Collections.RepeatedField<Proto.DropToken> tokens, FieldPath field)
    {
        var drop = TokenDrop.None;
        for (var i = 0; i < tokens.Count; i++)
        {
            drop |= tokens[i] switch
            {
                Proto.DropToken.Special => TokenDrop.Special,
                Proto.DropToken.Punctuation => TokenDrop.Punctuation,
                Proto.DropToken.Stopwords => TokenDrop.StopWords,
                _ => throw RetrievalException.Invalid(field.Index(i), $"must be DROP_TOKEN_SPECIAL, DROP_TOKEN_PUNCTUATION or DROP_TOKEN_STOPWORDS, got {tokens[i]}"),
            };
        }

        return drop;
    }

    public static Proto.MultiVectorConfig ToProto(MultiVectorSettings settings)
    {
        var p = settings.Muvera;
        var muvera = new Proto.MuveraConfig
        {
            KSim = p.KSim,
            DProj = p.DProj,
            Repetitions = p.Repetitions,
            DFinal = p.DFinal ?? 0,
            FillEmptyBuckets = p.FillEmptyBuckets,
            Seed = p.Seed,
        };
        if (p.Center is not null || settings.LearnCenterTokens is not null)
        {
            muvera.Center = new Proto.MuveraCenter { LearnTokens = settings.LearnCenterTokens ?? 0 };
            if (p.Center is { } center)
            {
                muvera.Center.Values.AddRange(center.Values);
            }
        }

        if (p with { Seed = 0, Center = null } == MuveraParameters.CompactPreset(p.Dimension))
        {
            muvera.Preset = Proto.MuveraPreset.Compact;
        }
        else if (p with { Seed = 0, Center = null } == MuveraParameters.EndToEndPreset(p.Dimension))
        {
            muvera.Preset = Proto.MuveraPreset.EndToEnd;
        }

        var o = settings.Pruning;
        var config = new Proto.MultiVectorConfig
        {
            Muvera = muvera,
            Pruning = new Proto.PruningConfig
            {
                Method = o.Method switch
                {
                    PruningMethod.KMeansFixed => Proto.PruningMethod.KmeansFixed,
                    PruningMethod.KMeansRatio => Proto.PruningMethod.KmeansRatio,
                    PruningMethod.WardPooling => Proto.PruningMethod.Ward,
                    _ => Proto.PruningMethod.None,
                },
                Centroids = o.TargetCount,
                Ratio = o.Ratio,
                PoolFactor = o.PoolFactor,
                Iterations = o.Iterations,
                Seed = o.Seed,
                Dedup = o.Dedup,
                DedupDistance = o.DedupDistance,
            },
            QueryCentroids = settings.QueryCentroids ?? 0,
            MaxTokens = settings.MaxTokens,
            Candidates = settings.Candidates,
            TokenPrecision = settings.TokenPrecision switch
            {
                TokenPrecision.Float16 => Proto.TokenPrecision.Float16,
                TokenPrecision.ScaledInt8 => Proto.TokenPrecision.Int8,
                _ => Proto.TokenPrecision.Float32,
            },
        };
        if (settings.BallCarvingTau is { } tau)
        {
            config.BallCarvingTau = tau;
        }

        config.FirstStage = settings.FirstStage == MultiVectorFirstStage.Tokens ? Proto.FirstStage.Tokens : Proto.FirstStage.Fde;
        if (settings.DropTokens.HasFlag(TokenDrop.Special))
        {
            config.DropTokens.Add(Proto.DropToken.Special);
        }

        if (settings.DropTokens.HasFlag(TokenDrop.Punctuation))
        {
            config.DropTokens.Add(Proto.DropToken.Punctuation);
        }

        if (settings.DropTokens.HasFlag(TokenDrop.StopWords))
        {
            config.DropTokens.Add(Proto.DropToken.Stopwords);
        }

        if (settings.TokenFirstStage is { } tokenStage)
        {
            config.TokenFirstStage = new Proto.TokenFirstStageConfig { Lists = tokenStage.Lists, Probes = tokenStage.Probes, Neighbours = tokenStage.Neighbours, TrainItems = tokenStage.TrainItems };
        }

        if (settings.FdePq is { } fdePq)
        {
            config.FdePq = new Proto.FdePqConfig { DimsPerCode = fdePq.DimsPerCode, TrainItems = fdePq.TrainItems };
        }

        return config;
    }

    public static Proto.MultiVectorStats ToProto(MultiVectorSpaceStats stats) => new()
    {
        Space = stats.Space,
        Items = stats.Items,
        TokensReceived = stats.TokensReceived,
        VectorsKept = stats.VectorsKept,
        Reduction = stats.Reduction,
        FdeBytesPerItem = stats.FdeBytesPerItem,
        TokenBytesPerItem = stats.TokenBytesPerItem,
        FdeCodesTrained = stats.FdeCodesTrained,
        TokenIndexBytesPerItem = stats.TokenIndexBytesPerItem,
        TokenIndexTrained = stats.TokenIndexTrained,
    };
}

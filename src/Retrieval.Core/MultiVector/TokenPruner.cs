using System.Numerics.Tensors;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// CRISP-style pruning (Veneroso et al., 2025; DESIGN §6): replaces an item's token vectors by fewer representatives —
/// k-means centroids or Ward-pooled means — that are then stored in place of the tokens for rerank and FDE generation.
/// Deterministic for a given input and <see cref="PruningOptions"/>.
/// </summary>
public static class TokenPruner
{
    /// <summary>
    /// The pruned multi-vector: duplicates dropped first when <see cref="PruningOptions.Dedup"/> is set, then the
    /// method applied to what is left. Returns <paramref name="tokens"/> itself when nothing changes.
    /// </summary>
    public static TokenMatrix Prune(TokenMatrix tokens, PruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Dedup)
        {
            tokens = DuplicateTokens.Drop(tokens, options.DedupDistance);
        }

        var target = options.TargetFor(tokens.Count);
        if (options.Method == PruningMethod.None || target >= tokens.Count)
        {
            return tokens;
        }

        var d = tokens.Dimension;
        var centroids = options.Method == PruningMethod.WardPooling
            ? WardPooling.Pool(tokens.Values, tokens.Count, d, target)
            : KMeans.Cluster(tokens.Values, tokens.Count, d, target, options.Iterations, options.Seed);

        var normalize = options.Normalization switch
        {
            CentroidNormalization.Always => true,
            CentroidNormalization.Never => false,
            _ => tokens.IsUnitNormalized(),
        };
        if (normalize)
        {
            for (var offset = 0; offset < centroids.Length; offset += d)
            {
                var centroid = centroids.AsSpan(offset, d);
                var norm = TensorPrimitives.Norm(centroid);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(centroid, norm, centroid);
                }
            }
        }

        return TokenMatrix.Wrap(centroids, d);
    }
}

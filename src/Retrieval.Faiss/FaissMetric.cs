namespace Retrieval.Faiss;

/// <summary>
/// How a Faiss index compares vectors. Scores returned by <see cref="FaissIndex"/> are higher-is-better whatever the metric.
/// </summary>
public enum FaissMetric
{
    /// <summary>Score ⟨q, x⟩, as Faiss computes it. Cosine similarity is this metric over normalized vectors.</summary>
    InnerProduct,

    /// <summary>Score −‖q − x‖²: Faiss's squared L2 distance, negated so that higher is better.</summary>
    L2,
}

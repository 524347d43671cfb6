namespace Retrieval.Core.Model;

/// <summary>
/// How vectors of a space are compared. Scores are always "higher is better":
/// inner product; cosine (vectors normalized on write, score = cosine);
/// L2 (score = negated squared Euclidean distance).
/// </summary>
public enum Metric
{
    InnerProduct = 1,
    Cosine = 2,
    L2 = 3,
}

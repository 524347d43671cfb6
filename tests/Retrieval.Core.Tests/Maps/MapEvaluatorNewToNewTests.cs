using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Model;

namespace Retrieval.Core.Tests.Maps;

/// <summary>
/// New→new on a set small enough to rank by hand (d = 2, three items A, B, C, identity map):
/// <code>
///          old vector   new vector    query   old query    new query   relevant
///   A      (1, 0)       (0, 1)        q0      (1, 0.1)     (0, 1)      A
///   B      (0, 1)       (0.5, 0)      q1      (0.1, 1)     (1, 0)      B
///   C      (−1, 0)      (1, 0)
/// </code>
/// Inner product: old→old ranks A and B first (recall@1 = 1). Mapped new→old (identity) ranks B above A for q0 and
/// A above B for q1: both relevant items second (recall@1 = 0, recall@10 = 1, mAP@10 = ½). New→new ranks A' first for
/// q0 (score 1) and B' second for q1 (C' scores 1 &gt; 0.5): recall@1 = ½, recall@10 = 1, mAP@10 = (1 + ½) / 2 = ¾.
/// </summary>
public class MapEvaluatorNewToNewTests
{
    private static readonly float[] OldGallery = [1, 0, 0, 1, -1, 0];
    private static readonly float[] NewGallery = [0, 1, 0.5f, 0, 1, 0];
    private static readonly float[] OldQueries = [1, 0.1f, 0.1f, 1];
    private static readonly float[] NewQueries = [0, 1, 1, 0];
    private static readonly IReadOnlyList<int>[] Relevant = [[0], [1]];

    private static CompatibilityMap Identity() => new(MapKind.External, 2, 2, [1, 0, 0, 1]);

    [Fact]
    public void Evaluate_WithNewGallery_ScoresNewQueriesAgainstTheNewVectors()
    {
        var set = new EvaluationSet(NewQueries, 2, OldQueries, OldGallery, 2, Relevant, NewGallery, Metric.InnerProduct);

        var scores = MapEvaluator.Evaluate(Identity(), set, Metric.InnerProduct);

        Assert.Equal(new RetrievalScores(1, 1, 1), scores.OldToOld);
        Assert.Equal(new RetrievalScores(0, 1, 0.5), scores.NewToOldMapped);
        Assert.Equal(new RetrievalScores(0.5, 1, 0.75), scores.NewToNew);
    }

    [Fact]
    public void Evaluate_NewGallery_RanksWithTheNewSpacesMetric()
    {
        // Under cosine B' = (0.5, 0) ties C' = (1, 0) for q1, and ties count in the query's favour: recall@1 = 1.
        var set = new EvaluationSet(NewQueries, 2, OldQueries, OldGallery, 2, Relevant, NewGallery, Metric.Cosine);

        var scores = MapEvaluator.Evaluate(Identity(), set, Metric.InnerProduct);

        Assert.Equal(new RetrievalScores(1, 1, 1), scores.NewToNew);
    }

    [Fact]
    public void Evaluate_WithoutNewGallery_NewToNewIsNull()
    {
        var set = new EvaluationSet(NewQueries, 2, OldQueries, OldGallery, 2, Relevant);

        var scores = MapEvaluator.Evaluate(Identity(), set, Metric.InnerProduct);

        Assert.False(set.HasNewGallery);
        Assert.Null(scores.NewToNew);
    }

    [Fact]
    public void Constructor_NewGalleryOfAnotherItemCount_IsRejectedWithField()
    {
        var ex = Assert.Throws<RetrievalException>(() => new EvaluationSet(NewQueries, 2, OldQueries, OldGallery, 2, Relevant, NewGallery.AsSpan(0, 4), Metric.InnerProduct));

        Assert.Equal(FieldPath.Of("evaluation").Member("newGallery"), ex.Path);
    }
}

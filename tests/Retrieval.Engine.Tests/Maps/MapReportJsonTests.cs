using Retrieval.Core.Maps;
using Retrieval.Engine.Maps;

namespace Retrieval.Engine.Tests.Maps;

public class MapReportJsonTests
{
    private static MapReport Report(EvaluationScores scores) => new()
    {
        Kind = MapKind.Orthogonal,
        FitAnchors = 10,
        HeldOutAnchors = 2,
        Warnings = [],
        OrthogonalityError = 0,
        Evaluation = scores,
        GateMetric = GateMetric.RecallAt10,
        Gate = GateOutcome.Passed,
    };

    [Fact]
    public void Deserialize_SerializedNewToNew_ComesBack()
    {
        var scores = new EvaluationScores(2, new(1, 1, 1), null, new(0, 1, 0.5)) { NewToNew = new(0.5, 1, 0.75) };

        var read = MapReportJson.Deserialize(MapReportJson.Serialize(Report(scores)));

        Assert.Equal(new RetrievalScores(0.5, 1, 0.75), read.Evaluation!.NewToNew);
    }

    [Fact]
    public void Deserialize_ReportStoredBeforeNewToNew_ReadsItAsNull()
    {
        var json = MapReportJson.Serialize(Report(new EvaluationScores(2, new(1, 1, 1), null, new(0, 1, 0.5))))
            .Replace(",\"newToNew\":null", "", StringComparison.Ordinal);
        Assert.DoesNotContain("newToNew", json, StringComparison.Ordinal);

        var read = MapReportJson.Deserialize(json);

        Assert.Null(read.Evaluation!.NewToNew);
        Assert.Equal(new RetrievalScores(0, 1, 0.5), read.Evaluation.NewToOldMapped);
    }

    [Fact]
    public void Deserialize_SerializedAutoSelection_ComesBackWithEveryCandidate()
    {
        var selection = new AutoSelectionReport
        {
            Chosen = MapKind.ResidualMlp,
            Folds = 3,
            BudgetSeconds = 120,
            Candidates =
            [
                new AutoCandidateReport { Kind = MapKind.Orthogonal, Outcome = AutoCandidateOutcome.Scored, HeldOutRecallAt10 = 0.5, Score = 0.5, FitSeconds = 0.25 },
                new AutoCandidateReport { Kind = MapKind.ResidualMlp, Outcome = AutoCandidateOutcome.Scored, HeldOutRecallAt10 = 0.75, EvaluationRecallAt10 = 0.25, Score = 0.5, FitSeconds = 3 },
                new AutoCandidateReport { Kind = MapKind.RankingAdapter, Outcome = AutoCandidateOutcome.SkippedForBudget, FitSeconds = 0, Reason = "budget spent" },
            ],
            Reason = "residual_mlp has the highest score",
        };

        var read = MapReportJson.Deserialize(MapReportJson.Serialize(Report(new EvaluationScores(2, new(1, 1, 1), null, new(0, 1, 0.5))) with { AutoSelection = selection }));

        Assert.Equal(selection with { Candidates = [] }, read.AutoSelection! with { Candidates = [] });
        Assert.Equal(selection.Candidates, read.AutoSelection.Candidates);
    }

    [Fact]
    public void Deserialize_ReportStoredBeforeAutoSelection_ReadsItAsNull()
    {
        var json = MapReportJson.Serialize(Report(new EvaluationScores(2, new(1, 1, 1), null, new(0, 1, 0.5))))
            .Replace(",\"autoSelection\":null", "", StringComparison.Ordinal);
        Assert.DoesNotContain("autoSelection", json, StringComparison.Ordinal);

        Assert.Null(MapReportJson.Deserialize(json).AutoSelection);
    }
}

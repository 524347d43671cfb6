namespace Retrieval.Core.Maps;

/// <summary>What became of one candidate kind of a <see cref="MapKind.Auto"/> fit.</summary>
public enum AutoCandidateOutcome
{
    /// <summary>Cross-validated; its figures are set.</summary>
    Scored = 1,

    /// <summary>Not (fully) cross-validated because the time budget was spent or would have been overrun.</summary>
    SkippedForBudget = 2,

    /// <summary>Its fit was refused (for example fewer fold anchors than the new dimension); the reason says why.</summary>
    Failed = 3,
}

/// <summary>One row of the candidate table of a <see cref="MapKind.Auto"/> fit.</summary>
public sealed record AutoCandidateReport
{
    /// <summary>The candidate kind.</summary>
    public required MapKind Kind { get; init; }

    /// <summary>Scored, skipped for budget or failed.</summary>
    public required AutoCandidateOutcome Outcome { get; init; }

    /// <summary>
/// Mean over the folds of held-out identification recall@10 (each held-out anchor's own old vector in the top 10 among the
/// fold's old vectors). It saturates at 1 for every centred kind on real encoder pairs, hence the agreement tiebreak.
/// </summary>
    public double? HeldOutRecallAt10 { get; init; }

    /// <summary>
    /// Mean over the folds of held-out neighbourhood agreement recall@10: each held-out anchor's mapped vector, searched
    /// among the fold's training anchors' old vectors, finds how many of the 10 training anchors nearest to it in the new
    /// space (<see cref="MapEvaluator.NeighbourAgreement"/>). Breaks ties of <see cref="Score"/>.
    /// </summary>
    public double? HeldOutNeighbourRecallAt10 { get; init; }

    /// <summary>Mean over the folds of mapped new→old recall@10 on the evaluation queries; null without an evaluation set.</summary>
    public double? EvaluationRecallAt10 { get; init; }

    /// <summary>The figure the choice compares: the held-out identification recall, or its mean with the evaluation recall when there is one.</summary>
    public double? Score { get; init; }

    /// <summary>Seconds spent fitting and scoring this candidate's folds.</summary>
    public required double FitSeconds { get; init; }

    /// <summary>Why it was skipped or failed; null when scored.</summary>
    public string? Reason { get; init; }
}

/// <summary>The candidate table and the choice of a <see cref="MapKind.Auto"/> fit, kept in the chosen map's report.</summary>
public sealed record AutoSelectionReport
{
    /// <summary>The kind chosen and fitted.</summary>
    public required MapKind Chosen { get; init; }

    /// <summary>Folds of the cross-validation.</summary>
    public required int Folds { get; init; }

    /// <summary>The time budget of the cross-validation in seconds.</summary>
    public required double BudgetSeconds { get; init; }

    /// <summary>Every candidate in the order tried.</summary>
    public required IReadOnlyList<AutoCandidateReport> Candidates { get; init; }

    /// <summary>Why <see cref="Chosen"/> won, with the figures compared.</summary>
    public required string Reason { get; init; }
}

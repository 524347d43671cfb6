namespace Retrieval.Core.Maps;

/// <summary>
/// How <see cref="MapKind.Auto"/> chooses a kind (<see cref="AutoMapSelector"/>). The defaults are relative to the data
/// (fold counts, a wall-clock budget), not tuned to one model pair.
/// </summary>
public sealed record AutoMapOptions
{
    /// <summary>The kinds tried by default, cheapest first: the closed-form kinds, then the trained ones.</summary>
    public static IReadOnlyList<MapKind> DefaultCandidates { get; } =
    [
        MapKind.Orthogonal,
        MapKind.CanonicalQ,
        MapKind.Affine,
        MapKind.LambdaOrthogonal,
        MapKind.RankingAdapter,
        MapKind.ResidualMlp,
    ];

    /// <summary>
    /// The kinds tried, in this order. Order matters twice: a candidate is skipped once the budget is spent, so cheap kinds
    /// go first, and a tie in score goes to the earlier (simpler) kind. Default <see cref="DefaultCandidates"/>.
    /// </summary>
    public IReadOnlyList<MapKind> Candidates { get; init; } = DefaultCandidates;

    /// <summary>
    /// Wall-clock seconds for cross-validating the candidates (the final fit of the chosen kind comes on top). The first
    /// candidate is always scored so that a choice exists; later ones are skipped when the budget is spent or when their
    /// first folds show the rest would overrun it, and the trained kinds get their share of what is left as their own
    /// training limit. Default 120.
    /// </summary>
    public double BudgetSeconds { get; init; } = 120;

    /// <summary>Folds of the cross-validation over the fit anchors, at least 2. Default 3.</summary>
    public int Folds { get; init; } = 3;
}

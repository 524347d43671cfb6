namespace Retrieval.Engine.Migrations;

/// <summary>
/// Where a migration's online refit stands, persisted with its details: the serving map version, every refit's report
/// (promoted or not), and when the next refit is due. Version 1 is the map <c>fit</c> produced; each promotion adds one.
/// </summary>
public sealed record OnlineRefitState
{
    /// <summary>The serving map's version (1: the fitted map).</summary>
    public int MapVersion { get; init; } = 1;

    /// <summary>Pairs seen (statistics plus held out) when the last refit ran; 0 before the first.</summary>
    public long PairsAtLastRefit { get; init; }

    /// <summary>When the last refit ran; null before the first.</summary>
    public DateTimeOffset? LastRefitAt { get; init; }

    /// <summary>Every refit's report, oldest first, promoted or not.</summary>
    public IReadOnlyList<MapVersionReport> Refits { get; init; } = [];
}

/// <summary>
/// One refit: the candidate's figures and the serving map's on the same held-out pairs, and whether it was promoted.
/// Scores are the mean of held-out identification recall@1 and neighbourhood agreement@10 (and, when the operator gave
/// evaluation queries, their mapped recall@10).
/// </summary>
public sealed record MapVersionReport
{
    /// <summary>The version the candidate became when promoted; the serving version otherwise.</summary>
    public required int Version { get; init; }

    /// <summary>The promoted map's id; null when the candidate was not promoted (it is not stored).</summary>
    public string? MapId { get; init; }

    /// <summary>Whether the candidate replaced the serving map.</summary>
    public required bool Promoted { get; init; }

    /// <summary>When the refit ran.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The candidate's kind.</summary>
    public required Core.Maps.MapKind Kind { get; init; }

    /// <summary>Pairs the candidate was fitted from (the statistics' count, or the reservoir pairs still present).</summary>
    public required long FitPairs { get; init; }

    /// <summary>Held-out pairs both maps were judged on.</summary>
    public required int HeldOutPairs { get; init; }

    /// <summary>The candidate's held-out figures.</summary>
    public required HeldOutFigures Candidate { get; init; }

    /// <summary>The serving map's figures on the same pairs.</summary>
    public required HeldOutFigures Serving { get; init; }

    /// <summary>Seconds the fit and both evaluations took.</summary>
    public required double Seconds { get; init; }

    /// <summary>Why it was or was not promoted.</summary>
    public required string Reason { get; init; }
}

/// <summary>A map's figures on held-out pairs.</summary>
/// <param name="IdentificationRecallAt1">Share of held-out pairs whose mapped new vector ranks its own old vector first.</param>
/// <param name="IdentificationRecallAt10">The same within the top 10.</param>
/// <param name="NeighbourRecallAt10">Neighbourhood agreement@10 (new-space neighbours found through the map).</param>
/// <param name="MeanCosine">Mean cosine of mapped new and old vectors.</param>
/// <param name="EvaluationRecallAt10">Mapped recall@10 on the operator's evaluation queries; null without them.</param>
/// <param name="Score">What promotion compares.</param>
public sealed record HeldOutFigures(double IdentificationRecallAt1, double IdentificationRecallAt10, double NeighbourRecallAt10, double MeanCosine, double? EvaluationRecallAt10, double Score);

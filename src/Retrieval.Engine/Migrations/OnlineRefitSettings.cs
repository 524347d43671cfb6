using Retrieval.Core.Errors;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// How a migration keeps learning while it backfills (issue 18): each batch that makes items' new vectors native adds
/// their (new, old) pairs to streamed statistics, and the map is refitted on a schedule and promoted when it is better.
/// Part of <see cref="MigrationParameters"/>; defaults are data-scale free, not tuned to one model pair.
/// </summary>
public sealed record OnlineRefitSettings
{
    /// <summary>Whether pairs are collected and the map refitted. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>A refit is due once this many new pairs (held out included) arrived since the last one. Default 2000.</summary>
    public int EveryPairs { get; init; } = 2000;

    /// <summary>
    /// A refit is also due once this many seconds passed since the last one (or since the backfill's first pair) and at
    /// least one new pair arrived; 0: by pair count only. Default 300.
    /// </summary>
    public double EverySeconds { get; init; } = 300;

    /// <summary>
    /// Share of the pair stream held out for judging refits, chosen by a hash of the item id (stable across restarts and
    /// nodes); held-out pairs never enter the statistics. In (0, 0.5]. Default 0.1.
    /// </summary>
    public double HeldOutFraction { get; init; } = 0.1;

    /// <summary>Held-out pairs a refit is judged on at most (a seeded sample of the slice). Default 2000.</summary>
    public int MaxHeldOutPairs { get; init; } = 2000;

    /// <summary>
    /// A refit is promoted only when its held-out score beats the serving map's, measured on the same pairs, by more than
    /// this (scores are in [0, 1]). Default 0.002.
    /// </summary>
    public double PromotionMargin { get; init; } = 0.002;

    /// <summary>
    /// Pairs kept in the reservoir sample for the kinds trained on pairs (residual MLP, ranking adapter); the linear kinds
    /// keep none. Default 4096.
    /// </summary>
    public int ReservoirSize { get; init; } = 4096;

    internal void Validate()
    {
        var field = FieldPath.Of("settings").Member("refit");
        if (EveryPairs < 1)
        {
            throw RetrievalException.Invalid(field.Member("everyPairs"), "must be ≥ 1");
        }

        if (!double.IsFinite(EverySeconds) || EverySeconds < 0)
        {
            throw RetrievalException.Invalid(field.Member("everySeconds"), "must be a finite number ≥ 0 (0: by pair count only)");
        }

        if (!(HeldOutFraction > 0 && HeldOutFraction <= 0.5))
        {
            throw RetrievalException.Invalid(field.Member("heldOutFraction"), "must be in (0, 0.5]");
        }

        if (MaxHeldOutPairs < 10)
        {
            throw RetrievalException.Invalid(field.Member("maxHeldOutPairs"), "must be ≥ 10");
        }

        if (!double.IsFinite(PromotionMargin) || PromotionMargin < 0 || PromotionMargin >= 1)
        {
            throw RetrievalException.Invalid(field.Member("promotionMargin"), "must be in [0, 1)");
        }

        if (ReservoirSize < 1 || ReservoirSize > 1_000_000)
        {
            throw RetrievalException.Invalid(field.Member("reservoirSize"), "must be in [1, 1000000]");
        }
    }
}

namespace Retrieval.Core.Filtering;

/// <summary>
/// A condition on one payload field (<see cref="Key"/>: a field name or a dotted path into nested objects).
/// Exactly one of <see cref="Match"/> or <see cref="Range"/> is set.
/// </summary>
public sealed record FilterCondition(string Key, IReadOnlyList<string> Path, MatchCondition? Match, RangeCondition? Range);

/// <summary>
/// Matches a field equal to one of <see cref="Values"/> (one value for <c>match.value</c>, several for
/// <c>match.any</c>); an array field matches when any of its elements does.
/// </summary>
public sealed record MatchCondition(IReadOnlyList<ScalarValue> Values);

/// <summary>A numeric range; null bounds are open. An array field matches when any element is in range.</summary>
public sealed record RangeCondition(double? Gt, double? Gte, double? Lt, double? Lte)
{
    public bool Contains(double x) =>
        (Gt is not { } gt || x > gt) && (Gte is not { } gte || x >= gte) &&
        (Lt is not { } lt || x < lt) && (Lte is not { } lte || x <= lte);
}

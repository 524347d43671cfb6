namespace Retrieval.Core.Filtering;

/// <summary>
/// A payload filter: every <see cref="Must"/> condition holds, no <see cref="MustNot"/> condition holds, and,
/// when <see cref="Should"/> is not empty, at least one of its conditions holds.
/// </summary>
public sealed record PayloadFilter(
    IReadOnlyList<FilterCondition> Must,
    IReadOnlyList<FilterCondition> MustNot,
    IReadOnlyList<FilterCondition> Should)
{
    public bool IsEmpty => Must.Count == 0 && MustNot.Count == 0 && Should.Count == 0;
}

namespace Retrieval.Engine.Maps;

/// <summary>One evaluation query embedded by both models, with the ids of the collection's items relevant to it.</summary>
public sealed record MapEvaluationQuery(float[] NewVector, float[] OldVector, IReadOnlyList<string> RelevantIds);

namespace Retrieval.Core.Model;

/// <summary>A named embedding space of a collection: every vector in it has <see cref="Dimension"/> components.</summary>
public sealed record SpaceDefinition(string Name, int Dimension, Metric Metric, ModelRef Model)
{
    /// <summary>Largest dimension a space may declare.</summary>
    public const int MaxDimension = 65536;
}

namespace Retrieval.Core.Formats;

/// <summary>A matrix of float32 vectors read from a file: <see cref="Rows"/> × <see cref="Columns"/>, row-major.</summary>
public sealed record VectorMatrix(int Rows, int Columns, float[] Data)
{
    public ReadOnlySpan<float> Row(int row) => Data.AsSpan(row * Columns, Columns);
}

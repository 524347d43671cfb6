namespace Retrieval.Core.Formats;

/// <summary>A 2-D float32 matrix read from a file: <see cref="Rows"/> × <see cref="Columns"/>, row-major.</summary>
public sealed record NpyArray(int Rows, int Columns, float[] Data)
{
    public ReadOnlySpan<float> Row(int row) => Data.AsSpan(row * Columns, Columns);
}

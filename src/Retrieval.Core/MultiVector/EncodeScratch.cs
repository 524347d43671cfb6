namespace Retrieval.Core.MultiVector;

/// <summary>
/// Per-thread working buffers of <see cref="MuveraEncoder"/>, grown on demand and reused: encoding a short item is a
/// few microseconds, so renting and returning five pooled arrays per item was a measurable share of it.
/// </summary>
internal sealed class EncodeScratch
{
    /// <summary>Largest buffer (floats) kept between calls: a rare very long item gets buffers of its own.</summary>
    private const int MaxRetainedFloats = 1 << 20;

    [ThreadStatic]
    private static EncodeScratch? _current;

    /// <summary>GEMM output, tokens × stacked columns.</summary>
    public float[] Projections { get; private set; } = [];

    /// <summary>The blocks before the final Count-Sketch (only when d_final is set).</summary>
    public float[] Blocks { get; private set; } = [];

    /// <summary>Tokens per bucket of the current repetition.</summary>
    public int[] Counts { get; private set; } = [];

    /// <summary>Occupied buckets of the current repetition, in order of first use.</summary>
    public int[] Occupied { get; private set; } = [];

    /// <summary>Bucket (sign pattern) of each token in the current repetition.</summary>
    public int[] Patterns { get; private set; } = [];

    /// <summary>Nearest-token keys per bucket (<see cref="NearestKeys"/>).</summary>
    public int[] Keys { get; private set; } = [];

    /// <summary>This thread's buffers, each at least the given length. Not reentrant: one encoding per thread at a time.</summary>
    public static EncodeScratch For(int projections, int buckets, int tokens, int blocks)
    {
        var scratch = projections > MaxRetainedFloats || blocks > MaxRetainedFloats ? new EncodeScratch() : _current ??= new EncodeScratch();
        if (scratch.Projections.Length < projections)
        {
            scratch.Projections = new float[projections];
        }

        if (scratch.Blocks.Length < blocks)
        {
            scratch.Blocks = new float[blocks];
        }

        if (scratch.Counts.Length < buckets)
        {
            scratch.Counts = new int[buckets];
            scratch.Occupied = new int[buckets + 1]; // the encoder writes one slot past the last occupied bucket
            scratch.Keys = new int[buckets];
        }

        if (scratch.Patterns.Length < tokens)
        {
            scratch.Patterns = new int[tokens];
        }

        return scratch;
    }
}

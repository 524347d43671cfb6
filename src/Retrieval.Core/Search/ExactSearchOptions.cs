namespace Retrieval.Core.Search;

/// <summary>How <see cref="ExactSearch"/> spends threads.</summary>
public sealed class ExactSearchOptions
{
    /// <summary>The options the overloads without an options argument use.</summary>
    public static ExactSearchOptions Default { get; } = new();

    /// <summary>
    /// Most threads one search uses. Default −1: <see cref="Environment.ProcessorCount"/>. 1 keeps the search on the
    /// calling thread.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>
    /// Rows (queries × rows for a batch) below which a search stays sequential, because starting workers would cost
    /// more than it saves. Default 32 768.
    /// </summary>
    public long ParallelThreshold { get; init; } = 32_768;

    /// <summary>Use the portable kernels even where AVX2 + FMA is available (tests compare both paths).</summary>
    internal bool ForcePortableKernels { get; init; }

    internal int EffectiveParallelism =>
        MaxDegreeOfParallelism is -1 or 0 ? Environment.ProcessorCount : Math.Min(MaxDegreeOfParallelism, Environment.ProcessorCount);

    internal void Validate()
    {
        if (MaxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "must be −1 (all processors) or positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(ParallelThreshold);
    }
}

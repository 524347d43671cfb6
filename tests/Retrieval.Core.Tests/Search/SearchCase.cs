using CsCheck;
using Retrieval.Core.Search;

namespace Retrieval.Core.Tests.Search;

/// <summary>A random search setting: storage, queries, filter, k and the execution path to use.</summary>
internal sealed record SearchCase(
    ScoreKind Kind, FlatVectorStorage Rows, float[] Queries, int QueryCount, int K, RowFilter? Filter, ExactSearchOptions Options, string Path)
{
    /// <summary>The paths every property runs through: default, one thread, forced parallel, portable kernels.</summary>
    private static readonly (ExactSearchOptions Options, string Name)[] Paths =
    [
        (ExactSearchOptions.Default, "default"),
        (new ExactSearchOptions { MaxDegreeOfParallelism = 1 }, "sequential"),
        (new ExactSearchOptions { ParallelThreshold = 0 }, "parallel"),
        (new ExactSearchOptions { ParallelThreshold = 0, ForcePortableKernels = true }, "portable"),
    ];

    /// <summary>
    /// Integer components in [−3, 3] make every float32 score exact (|score| ≤ 300·36 ≪ 2²⁴), so results must
    /// equal the naive sort bit for bit, and the small value range makes ties common.
    /// </summary>
    public static Gen<SearchCase> Integers(int maxDim, int maxRows) => Make(maxDim, maxRows, r => r.Next(-3, 4));

    /// <summary>Continuous components: checked against the naive scores within <see cref="Naive.Tolerance"/>.</summary>
    public static Gen<SearchCase> Continuous(int maxDim, int maxRows) => Make(maxDim, maxRows, r => (float)((r.NextDouble() * 4) - 2));

    public ReadOnlySpan<float> Query(int i) => Queries.AsSpan(i * Rows.Dimension, Rows.Dimension);

    public override string ToString() =>
        $"{Kind} dim {Rows.Dimension} rows {Rows.Count} queries {QueryCount} k {K} filter {(Filter is null ? "none" : $"{Filter.Count()}/{Filter.RowCount}")} path {Path}";

    private static Gen<SearchCase> Make(int maxDim, int maxRows, Func<Random, float> component) =>
        Gen.Select(Gen.Int[1, maxDim], Gen.Int[0, maxRows], Gen.Int[0, 9], Gen.Int[0, 3], Gen.Int[0, Paths.Length - 1], Gen.Int[0, int.MaxValue])
            .Select(t =>
            {
                var (dim, count, queryCount, filterMode, path, seed) = t;
                var random = new Random(seed);
                var rows = new FlatVectorStorage(dim, initialCapacity: 1);
                var vector = new float[dim];
                for (var r = 0; r < count; r++)
                {
                    Fill(vector, random, component);
                    rows.Add(vector);
                }

                var queries = new float[queryCount * dim];
                Fill(queries, random, component);

                // k from 1 to past the row count, biased to small values like real searches.
                var k = random.Next(4) == 0 ? random.Next(1, count + 6) : random.Next(1, 11);
                return new SearchCase(Kinds[seed & 1], rows, queries, queryCount, k, MakeFilter(filterMode, count, random), Paths[path].Options, Paths[path].Name);
            });

    private static readonly ScoreKind[] Kinds = [ScoreKind.InnerProduct, ScoreKind.NegativeSquaredL2];

    private static void Fill(float[] values, Random random, Func<Random, float> component)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = component(random);
        }
    }

    /// <summary>None, dense, sparse, or a filter whose length differs from the storage (rows past it are excluded).</summary>
    private static RowFilter? MakeFilter(int mode, int count, Random random)
    {
        if (mode == 0)
        {
            return null;
        }

        var rowCount = mode == 3 ? random.Next(0, count + 70) : count;
        var density = mode switch { 1 => 0.8, 2 => 0.05, _ => random.NextDouble() };
        var filter = new RowFilter(rowCount);
        for (var r = 0; r < rowCount; r++)
        {
            if (random.NextDouble() < density)
            {
                filter.Set(r);
            }
        }

        return filter;
    }
}

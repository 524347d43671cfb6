using CsCheck;

namespace Retrieval.Core.Tests.Search;

/// <summary>
/// Runs a CsCheck generator from a fixed PCG seed, so that every run of the suite checks the same cases
/// (CsCheck's own Sample picks fresh seeds per run). A failure names the case index to reproduce it.
/// </summary>
internal static class DeterministicSample
{
    public static void Run<T>(Gen<T> gen, Action<T> assert, int count, ulong seed = 20240607)
    {
        var pcg = new PCG(1, seed);
        for (var i = 0; i < count; i++)
        {
            var value = gen.Generate(pcg, null, out _);
            try
            {
                assert(value);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"case {i} of seed {seed} failed: {e.Message}", e);
            }
        }
    }
}

using Retrieval.Core.MultiVector;
using Xunit.Abstractions;

namespace Retrieval.Core.Tests.MultiVector;

/// <summary>MUVERA FDE + Chamfer rerank against the exact Chamfer oracle on seeded clustered multi-vectors.</summary>
public sealed class FdeSearchRecallTests(ITestOutputHelper output)
{
    /// <summary>Recall@10 floor of FDE (20, 4, 8) → K' = 100 candidates → exact rerank, on this corpus (measured 0.993).</summary>
    private const double CompactPresetRecallFloorAt100 = 0.95;

    /// <summary>The same with K' = 50 candidates (measured 0.967).</summary>
    private const double CompactPresetRecallFloorAt50 = 0.90;

    [Fact]
    public void CompactPreset_FiftyAndHundredCandidatesReranked_MeetRecallFloors()
    {
        var (documents, queries) = MultiVectorTestData.ClusteredCorpus(seed: 2024, documents: 1000, queries: 30, d: 32);
        var encoder = new MuveraEncoder(MuveraParameters.CompactPreset(dimension: 32, seed: 1));
        var fdes = FdeSearch.BuildIndex(encoder, documents);
        int[] shortlists = [10, 25, 50, 100];
        var hits = new int[shortlists.Length];
        foreach (var query in queries)
        {
            var exact = ChamferSearch.Search(query, documents, 10).Select(r => r.Row).ToHashSet();
            var candidates = FdeSearch.Candidates(encoder, fdes, query, shortlists[^1]);
            for (var s = 0; s < shortlists.Length; s++)
            {
                var reranked = ChamferSearch.Rerank(query, documents, candidates.AsSpan(0, shortlists[s]), 10);
                hits[s] += reranked.Count(r => exact.Contains(r.Row));
            }
        }

        for (var s = 0; s < shortlists.Length; s++)
        {
            output.WriteLine($"K' = {shortlists[s]}: recall@10 = {hits[s] / (10.0 * queries.Count):F3}");
        }

        var recallAt50 = hits[2] / (10.0 * queries.Count);
        var recallAt100 = hits[3] / (10.0 * queries.Count);
        Assert.True(recallAt50 >= CompactPresetRecallFloorAt50, $"K' = 50: recall@10 = {recallAt50:F3} < floor {CompactPresetRecallFloorAt50}");
        Assert.True(recallAt100 >= CompactPresetRecallFloorAt100, $"K' = 100: recall@10 = {recallAt100:F3} < floor {CompactPresetRecallFloorAt100}");
    }
}

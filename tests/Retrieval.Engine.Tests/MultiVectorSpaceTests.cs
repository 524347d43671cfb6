using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Storage;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests;

/// <summary>Multi-vector spaces in the engine: ingest, exact and FDE search, pruning statistics, restart.</summary>
public sealed class MultiVectorSpaceTests
{
    private const int Dimension = 16;

    [Fact]
    public async Task Reopen_RebuildsBitIdenticalEncodingsAndTheSameResults()
    {
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 5, documents: 150, queries: 10);
        await CreateAsync(harness, new PruningOptions());
        await UpsertAsync(harness, documents);
        var before = documents.Select((_, i) => harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")!).ToList();
        var resultsBefore = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 10 }))).ToList();

        await harness.ReopenAsync();

        for (var i = 0; i < documents.Count; i++)
        {
            var after = harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")!;
            Assert.True(before[i].AsSpan().SequenceEqual(after), $"encoding of d{i} changed across the restart");
        }

        var resultsAfter = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 10 }))).ToList();
        Assert.Equal(resultsBefore, resultsAfter);
    }

    [Fact]
    public async Task Reopen_WithSnapshotsOfAnIndexedDenseSpace_KeepsEveryMultiVector()
    {
        // The snapshot holds both kinds of space; the multi-vector one must come back whole either way.
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        var (documents, queries) = ClusteredCorpus(seed: 12, documents: 600, queries: 3);
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11) };
        await harness.Engine.CreateCollectionAsync("c",
        [
            Space("v", Dimension, Metric.InnerProduct, "HNSW16"),
            new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings),
        ], "v", CancellationToken.None);
        await harness.Engine.UpsertAsync("c", documents.Select((d, i) => new ItemWrite($"d{i}", null, new Dictionary<string, float[]> { ["v"] = d[0] })
        {
            MultiVectors = new Dictionary<string, IReadOnlyList<float[]>> { ["mv"] = d },
        }).ToList(), CancellationToken.None);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var before = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Exact = true }))).ToList();

        await harness.ReopenAsync();

        Assert.Equal(documents.Count, harness.Engine.GetCollection("c").MultiVectorStats.Single().Items);
        Assert.Equal(before, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Exact = true }))).ToList());
    }

    [Fact]
    public async Task LearnedCenter_IsPinnedByTheFirstWrite_AndEncodingsStayBitIdenticalAfterRestart()
    {
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 21, documents: 120, queries: 5);
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11), LearnCenterTokens = 50 };
        await harness.Engine.CreateCollectionAsync("c", [new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: settings)], null, CancellationToken.None);
        Assert.True(MultiSettings(harness).AwaitsCenter);

        await harness.Engine.UpsertAsync("c", documents.Take(60).Select((d, i) => Write($"d{i}", d)).ToList(), CancellationToken.None);
        var pinned = MultiSettings(harness);
        var expected = TokenCenter.MeanOf(documents.Take(60).Select(TokenMatrix.FromRows), Dimension, 50);
        Assert.Equal(expected, pinned.Muvera.Center);
        Assert.False(pinned.AwaitsCenter);
        // Later writes keep the center; every item is encoded with it.
        await harness.Engine.UpsertAsync("c", documents.Skip(60).Select((d, i) => Write($"d{i + 60}", d)).ToList(), CancellationToken.None);
        Assert.Equal(pinned, MultiSettings(harness));
        var encoder = new MuveraEncoder(pinned.Muvera);
        for (var i = 0; i < documents.Count; i += 17)
        {
            Assert.Equal(encoder.EncodeDocument(TokenMatrix.FromRows(documents[i])), harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}"));
        }

        var before = documents.Select((_, i) => harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")!).ToList();
        var resultsBefore = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 10 }))).ToList();

        await harness.ReopenAsync();

        Assert.Equal(pinned, MultiSettings(harness));
        for (var i = 0; i < documents.Count; i++)
        {
            Assert.True(before[i].AsSpan().SequenceEqual(harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")), $"encoding of d{i} changed across the restart");
        }

        Assert.Equal(resultsBefore, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 10 }))).ToList());
    }

    [Fact]
    public async Task ExplicitCenter_EncodesWithIt_AndSpaceDefinitionRefusesCenterPlusLearning()
    {
        await using var harness = await StartAsync();
        var (documents, _) = ClusteredCorpus(seed: 22, documents: 20, queries: 0);
        var center = new TokenCenter(Noisy(new DeterministicRandom(23), new float[Dimension], 1));
        var muvera = MuveraParameters.CompactPreset(Dimension, seed: 11) with { Center = center };
        var space = new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Kind: SpaceKind.Multi, MultiVector: new MultiVectorSettings { Muvera = muvera });
        await harness.Engine.CreateCollectionAsync("c", [space], null, CancellationToken.None);
        await UpsertAsync(harness, documents);
        Assert.Equal(new MuveraEncoder(muvera).EncodeDocument(TokenMatrix.FromRows(documents[3])), harness.Engine.GetMultiVectorEncoding("c", "mv", "d3"));

        var both = space with { MultiVector = new MultiVectorSettings { Muvera = muvera, LearnCenterTokens = 10 } };
        var error = await Assert.ThrowsAsync<Core.Errors.RetrievalException>(() => harness.Engine.CreateCollectionAsync("c2", [both], null, CancellationToken.None));
        Assert.Contains("multiVector.muvera.center", error.Message);
    }

    [Fact]
    public async Task Dedup_DropsRepeatedTokens_ReportsTheReduction_AndLeavesExactChamferScoresUnchanged()
    {
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 24, documents: 30, queries: 4);
        var repeated = documents.Select(d => d.Concat(d.Take(3)).ToArray()).ToList();
        await CreateAsync(harness, PruningOptions.Deduplicate());
        await UpsertAsync(harness, repeated);
        var stats = harness.Engine.GetCollection("c").MultiVectorStats.Single();
        Assert.Equal(repeated.Sum(d => (long)d.Length), stats.TokensReceived);
        Assert.Equal(documents.Sum(d => (long)d.Length), stats.VectorsKept);
        foreach (var query in queries)
        {
            var hits = harness.Engine.Search("c", Query(query, k: 5) with { Exact = true });
            Assert.All(hits, h => Assert.Equal(NaiveChamfer(query, repeated[int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture)]), h.Score, 1e-4));
        }
    }

    private static MultiVectorSettings MultiSettings(EngineHarness harness) =>
        harness.Engine.GetCollection("c").Definition.Spaces.Single(s => s.Name == "mv").MultiVector!;

    [Fact]
    public async Task Reopen_FromASnapshot_RestoresFdeIndexKeptTokensAndLearnedCenterWithoutRebuilding()
    {
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        var (documents, queries) = ClusteredCorpus(seed: 25, documents: 700, queries: 5);
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11), Pruning = PruningOptions.KMeans(4, seed: 2), LearnCenterTokens = 200 };
        var space = new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Index: "IVF4,PQ32x4", Kind: SpaceKind.Multi, MultiVector: settings);
        await harness.Engine.CreateCollectionAsync("c", [space], null, CancellationToken.None);
        await UpsertAsync(harness, documents);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var status = harness.Engine.GetSpaceIndexStatus("c", "mv");
        Assert.True(status.IndexedVectors >= 500, $"only {status.IndexedVectors} FDEs indexed");
        var stats = harness.Engine.GetCollection("c").MultiVectorStats.Single();
        var encodings = documents.Select((_, i) => harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")!).ToList();
        var kept = harness.Engine.GetItems("c", ["d3", "d500"], withVectors: true).Select(v => v.Vectors!["mv"]).ToList();
        var results = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 50, NProbe = 4 }))).ToList();

        await harness.ReopenAsync();

        // No optimizer run since the restart: the built FDE segments came back from the snapshot, not from a rebuild.
        Assert.Equal(status.IndexedVectors, harness.Engine.GetSpaceIndexStatus("c", "mv").IndexedVectors);
        Assert.Equal(stats, harness.Engine.GetCollection("c").MultiVectorStats.Single());
        for (var i = 0; i < documents.Count; i++)
        {
            Assert.True(encodings[i].AsSpan().SequenceEqual(harness.Engine.GetMultiVectorEncoding("c", "mv", $"d{i}")), $"encoding of d{i} changed");
        }

        Assert.Equal(kept, harness.Engine.GetItems("c", ["d3", "d500"], withVectors: true).Select(v => v.Vectors!["mv"]).ToList());
        Assert.Equal(results, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 50, NProbe = 4 }))).ToList());

        // Writes after the snapshot replay from the store on top of it.
        await harness.Engine.UpsertAsync("c", [Write("late", documents[0])], CancellationToken.None);
        await harness.ReopenAsync();
        Assert.Equal(encodings[0], harness.Engine.GetMultiVectorEncoding("c", "mv", "late"));
        Assert.Equal(stats.Items + 1, harness.Engine.GetCollection("c").MultiVectorStats.Single().Items);
    }

    [Fact]
    public async Task Upsert_WithWardPooling_KeepsHalfTheVectors_SearchesThem_AndASnapshotRestartKeepsThem()
    {
        // The recommended pruning (issue 17 item 5): Ward pooling by 2 at write time, centroids re-normalised because
        // a cosine space's tokens are unit vectors.
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        var (documents, queries) = ClusteredCorpus(seed: 26, documents: 600, queries: 4);
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11), Pruning = PruningOptions.Ward(2) };
        var space = new SpaceDefinition("mv", Dimension, Metric.Cosine, new ModelRef("test", "1"), Index: "IVF4,PQ32x4", Kind: SpaceKind.Multi, MultiVector: settings);
        await harness.Engine.CreateCollectionAsync("c", [space], null, CancellationToken.None);
        await UpsertAsync(harness, documents);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        var stats = harness.Engine.GetCollection("c").MultiVectorStats.Single();
        Assert.Equal(documents.Sum(d => (long)d.Length), stats.TokensReceived);
        Assert.Equal(documents.Sum(d => (long)(d.Length + 1) / 2), stats.VectorsKept);
        var kept = harness.Engine.GetItems("c", ["d3"], withVectors: true).Single().Vectors!["mv"];
        Assert.Equal((documents[3].Length + 1) / 2 * Dimension, kept.Length);
        var keptRows = kept.Chunk(Dimension).ToArray();
        Assert.All(keptRows, row => Assert.Equal(1.0, Math.Sqrt(row.Sum(x => (double)x * x)), 1e-4));

        // Search scores are Chamfer on the kept (pooled) vectors; the FDE path with K' covering everything agrees.
        var results = new List<List<string>>();
        foreach (var query in queries)
        {
            var exact = harness.Engine.Search("c", Query(query, k: 5) with { Exact = true });
            var top = harness.Engine.GetItems("c", [exact[0].Id], withVectors: true).Single().Vectors!["mv"].Chunk(Dimension).ToArray();
            Assert.Equal(NaiveChamfer(query.Select(Unit).ToArray(), top), exact[0].Score, 1e-4);
            Assert.Equal(Ids(exact), Ids(harness.Engine.Search("c", Query(query, k: 5) with { Candidates = documents.Count, NProbe = 4 })));
            results.Add(Ids(exact));
        }

        await harness.ReopenAsync();

        Assert.Equal(PruningOptions.Ward(2), harness.Engine.GetCollection("c").Definition.Spaces.Single().MultiVector!.Pruning);
        Assert.Equal(stats, harness.Engine.GetCollection("c").MultiVectorStats.Single());
        Assert.Equal(kept, harness.Engine.GetItems("c", ["d3"], withVectors: true).Single().Vectors!["mv"]);
        Assert.Equal(results, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Exact = true }))).ToList());
    }

    private static float[] Unit(float[] row)
    {
        var norm = Math.Sqrt(row.Sum(x => (double)x * x));
        return row.Select(x => (float)(x / norm)).ToArray();
    }

    [Fact]
    public async Task Search_ExactMode_MatchesNaiveChamferRankingAndScores()
    {
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 6, documents: 120, queries: 5);
        await CreateAsync(harness, new PruningOptions());
        await UpsertAsync(harness, documents);

        foreach (var query in queries)
        {
            var expected = documents.Select((d, i) => (Id: $"d{i}", Score: NaiveChamfer(query, d)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(10).ToList();
            var exact = harness.Engine.Search("c", Query(query, k: 10) with { Exact = true });
            Assert.Equal(expected.Select(e => e.Score), exact.Select(h => (double)h.Score), new ToleranceComparer(1e-4));
            // With K' covering the whole collection the FDE path reranks everything: the exact answer.
            var full = harness.Engine.Search("c", Query(query, k: 10) with { Candidates = documents.Count });
            Assert.Equal(Ids(exact), Ids(full));
        }
    }

    [Fact]
    public async Task Search_FdeShortlist_RecallsExactTopTenAboveFloor()
    {
        // Floor on seeded clustered data: the approximate path must find most of the exact Chamfer top-10 with a
        // shortlist of 40 of 400 items (measured 0.9+; the floor leaves room for other seeds, not for a broken encoder).
        const double Floor = 0.8;
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 7, documents: 400, queries: 30);
        await CreateAsync(harness, new PruningOptions());
        await UpsertAsync(harness, documents);

        var found = 0;
        foreach (var query in queries)
        {
            var exact = Ids(harness.Engine.Search("c", Query(query, k: 10) with { Exact = true })).ToHashSet();
            found += harness.Engine.Search("c", Query(query, k: 10) with { Candidates = 40 }).Count(h => exact.Contains(h.Id));
        }

        var recall = found / (10.0 * queries.Count);
        Assert.True(recall >= Floor, $"recall@10 {recall:F3} < {Floor}");
    }

    [Theory]
    [InlineData("HNSW16")]
    [InlineData("IVF8,Flat")]
    public async Task Search_FdesInAnApproximateIndex_BuildSegmentsAndKeepTheRecallFloor(string index)
    {
        // The FDEs of a multi-vector space can sit in any single-vector index: the optimizer seals and indexes them
        // like a dense space, and the FDE shortlist + Chamfer rerank keeps the exact-FDE floor.
        const double Floor = 0.8;
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        var (documents, queries) = ClusteredCorpus(seed: 7, documents: 1200, queries: 30);
        await CreateAsync(harness, new PruningOptions(), index);
        await UpsertAsync(harness, documents);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);

        var status = harness.Engine.GetSpaceIndexStatus("c", "mv");
        Assert.Equal(IndexSpecText(index), status.Spec);
        Assert.Equal(documents.Count, status.TotalVectors);
        Assert.True(status.IndexedVectors >= 1000, $"only {status.IndexedVectors} FDEs are in indexed segments");

        var found = 0;
        foreach (var query in queries)
        {
            var exact = Ids(harness.Engine.Search("c", Query(query, k: 10) with { Exact = true })).ToHashSet();
            found += harness.Engine.Search("c", Query(query, k: 10) with { Candidates = 40, EfSearch = 128, NProbe = 8 }).Count(h => exact.Contains(h.Id));
        }

        var recall = found / (10.0 * queries.Count);
        Assert.True(recall >= Floor, $"recall@10 {recall:F3} < {Floor} with the FDEs in {index}");
    }

    [Fact]
    public async Task SetSpaceIndex_OnALiveMultiVectorSpace_IndexesItsFdesAndChecksTheSpecAgainstTheEncodedLength()
    {
        await using var harness = await StartAsync(null, Segments.SegmentedSearchTests.Manual, null);
        var (documents, queries) = ClusteredCorpus(seed: 13, documents: 700, queries: 5);
        await CreateAsync(harness, new PruningOptions());
        await UpsertAsync(harness, documents);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        Assert.Equal(0, harness.Engine.GetSpaceIndexStatus("c", "mv").IndexedVectors);
        var before = queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 700 }))).ToList();

        // The compact preset encodes 20·16·8 = 2560 floats: PQ7 does not divide that (though the token dimension
        // is 16), PQ32 does.
        var error = await Assert.ThrowsAsync<Core.Errors.RetrievalException>(() => harness.Engine.SetSpaceIndexAsync("c", "mv", "IVF4,PQ7x8", CancellationToken.None));
        Assert.Equal((FieldPath.Of("index"), true), (error.Path, error.Message.Contains("2560", StringComparison.Ordinal)));
        Assert.Null(harness.Engine.GetSpaceIndexStatus("c", "mv").Spec);

        await harness.Engine.SetSpaceIndexAsync("c", "mv", "ivf4,pq32x4", CancellationToken.None);
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        var status = harness.Engine.GetSpaceIndexStatus("c", "mv");
        Assert.Equal("IVF4,PQ32x4", status.Spec);
        Assert.True(status.IndexedVectors >= 500, $"only {status.IndexedVectors} FDEs indexed");
        // K' = every item: the shortlist holds the whole collection whatever the index, so the rerank gives the same answer.
        Assert.Equal(before, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 700, NProbe = 4 }))).ToList());

        await harness.ReopenAsync();
        harness.Engine.RunOptimizerUntilIdle(CancellationToken.None);
        Assert.Equal("IVF4,PQ32x4", harness.Engine.GetSpaceIndexStatus("c", "mv").Spec);
        Assert.Equal(before, queries.Select(q => Ids(harness.Engine.Search("c", Query(q, k: 5) with { Candidates = 700, NProbe = 4 }))).ToList());
    }

    private static string IndexSpecText(string index) => Engine.Indexes.IndexSpec.Parse(index, 2560, FieldPath.Of("index")).ToString();

    [Fact]
    public async Task Upsert_WithPruning_KeepsCentroidsAndReportsTheReduction()
    {
        await using var harness = await StartAsync();
        var (documents, _) = ClusteredCorpus(seed: 8, documents: 40, queries: 0);
        await CreateAsync(harness, PruningOptions.KMeans(4, seed: 3));
        await UpsertAsync(harness, documents);
        await harness.Engine.DeleteAsync("c", ["d0"], CancellationToken.None);

        var stats = harness.Engine.GetCollection("c").MultiVectorStats.Single();
        var live = documents.Skip(1).ToList();
        Assert.Equal(("mv", 39L, live.Sum(d => (long)d.Length)), (stats.Space, stats.Items, stats.TokensReceived));
        Assert.Equal(live.Sum(d => (long)Math.Min(4, d.Length)), stats.VectorsKept);
        Assert.True(stats.Reduction > 2, $"reduction {stats.Reduction}");
        var kept = harness.Engine.GetItems("c", ["d1"], withVectors: true).Single().Vectors!["mv"];
        Assert.Equal(Math.Min(4, documents[1].Length) * Dimension, kept.Length);

        await harness.ReopenAsync();
        Assert.Equal(stats, harness.Engine.GetCollection("c").MultiVectorStats.Single());
    }

    [Fact]
    public async Task Search_WithFilter_ReturnsOnlyMatchingItemsInBothModes()
    {
        await using var harness = await StartAsync();
        var (documents, queries) = ClusteredCorpus(seed: 9, documents: 60, queries: 3);
        await CreateAsync(harness, new PruningOptions());
        await harness.Engine.UpsertAsync("c", documents.Select((d, i) => Write($"d{i}", d, $$"""{"even":{{(i % 2 == 0 ? "true" : "false")}}}""")).ToList(), CancellationToken.None);
        var filter = new PayloadFilter([new FilterCondition("even", ["even"], new MatchCondition([ScalarValue.Of(true)]), null)], [], []);

        foreach (var query in queries)
        {
            foreach (var exact in new[] { true, false })
            {
                var hits = harness.Engine.Search("c", Query(query, k: 10) with { Filter = filter, Exact = exact, Candidates = 60 });
                Assert.Equal(10, hits.Count);
                Assert.All(hits, h => Assert.Equal(0, int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture) % 2));
            }
        }
    }

    private static async Task CreateAsync(EngineHarness harness, PruningOptions pruning, string? index = null)
    {
        var settings = new MultiVectorSettings { Muvera = MuveraParameters.CompactPreset(Dimension, seed: 11), Pruning = pruning };
        var space = new SpaceDefinition("mv", Dimension, Metric.InnerProduct, new ModelRef("test", "1"), Index: index, Kind: SpaceKind.Multi, MultiVector: settings);
        await harness.Engine.CreateCollectionAsync("c", [space], null, CancellationToken.None);
    }

    private static Task<WriteResult> UpsertAsync(EngineHarness harness, List<float[][]> documents) =>
        harness.Engine.UpsertAsync("c", documents.Select((d, i) => Write($"d{i}", d)).ToList(), CancellationToken.None);

    internal static ItemWrite Write(string id, float[][] rows, string? payload = null) =>
        new(id, payload, new Dictionary<string, float[]>()) { MultiVectors = new Dictionary<string, IReadOnlyList<float[]>> { ["mv"] = rows } };

    internal static SearchQuery Query(float[][] rows, int k) => new("mv", [], k) { Rows = rows };

    internal static List<string> Ids(IReadOnlyList<SearchHit> hits) => hits.Select(h => h.Id).ToList();

    private static double NaiveChamfer(float[][] query, float[][] document) =>
        query.Sum(q => document.Max(p => q.Zip(p, (a, b) => (double)a * b).Sum()));

    /// <summary>
    /// Documents of 6–20 unit tokens drawn around 2–3 of 24 topic centers; queries are 3–6 perturbed tokens of a random
    /// document, so each has a planted neighbourhood.
    /// </summary>
    internal static (List<float[][]> Documents, List<float[][]> Queries) ClusteredCorpus(ulong seed, int documents, int queries)
    {
        var random = new DeterministicRandom(seed);
        var centers = Enumerable.Range(0, 24).Select(_ => Noisy(random, new float[Dimension], 1)).ToArray();
        var docs = Enumerable.Range(0, documents).Select(_ =>
        {
            var own = Enumerable.Range(0, 2 + random.NextInt(2)).Select(_ => centers[random.NextInt(centers.Length)]).ToArray();
            return Enumerable.Range(0, 6 + random.NextInt(15)).Select(_ => Noisy(random, own[random.NextInt(own.Length)], 0.5f)).ToArray();
        }).ToList();
        var qs = Enumerable.Range(0, queries).Select(_ =>
        {
            var source = docs[random.NextInt(docs.Count)];
            return Enumerable.Range(0, 3 + random.NextInt(4)).Select(_ => Noisy(random, source[random.NextInt(source.Length)], 0.5f)).ToArray();
        }).ToList();
        return (docs, qs);
    }

    private static float[] Noisy(DeterministicRandom random, float[] center, float noise)
    {
        var v = center.Select(c => c + (noise / MathF.Sqrt(Dimension) * (float)random.NextGaussian())).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}

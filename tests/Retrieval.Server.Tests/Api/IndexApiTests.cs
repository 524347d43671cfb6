using System.Net;
using System.Text.Json;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Index specs over the API: set on create and on a live collection, status while the background optimizer seals and
/// builds, per-request efSearch/nprobe and the exact override. Its own server, with a small seal threshold.
/// </summary>
public sealed class IndexApiTests : IAsyncLifetime
{
    private const int Dimension = 16;
    private InProcessServer? _server;

    private InProcessServer Server => _server!;

    public async Task InitializeAsync()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Indexing:SealThreshold"] = "300";
        configuration.Extra["Retrieval:Indexing:OptimizerIntervalMs"] = "50";
        configuration.Extra["Retrieval:Indexing:BuildThreads"] = "1";
        _server = await InProcessServer.StartAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task IndexedSpace_BuildsInBackground_AndSearchesWithinRecallOfExact()
    {
        using (var created = await Server.PostJsonAsync("/v1/collections", $$"""
            {"name":"indexed","spaces":[{"name":"v1","dimension":{{Dimension}},"metric":"METRIC_COSINE","model":{"name":"m"},"index":"hnsw16"}]}
            """))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            using var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            Assert.Equal("HNSW16", json.RootElement.GetProperty("spaces")[0].GetProperty("index").GetString());
        }

        var items = Vectors.Random(1000, Dimension, seed: 3);
        await TestCollections.UpsertAsync(Server, "indexed", "v1", items.Select((v, i) => ($"i{i}", v)));
        var status = await WaitForAsync("indexed", s => s.IndexedVectors + s.AppendableVectors == 1000 && s.Segments.Count > 0 && s.Build is null);
        Assert.Equal("HNSW16", status.Spec);
        Assert.All(status.Segments, s => Assert.True(s.Indexed, $"segment {s.Id} is not indexed"));

        var queries = Vectors.Random(20, Dimension, seed: 4);
        double found = 0;
        foreach (var query in queries)
        {
            var exact = await Server.Search.SearchAsync(new SearchRequest { Collection = "indexed", Vector = new Vector { Values = { query } }, K = 10, Exact = true });
            var approximate = await Server.Search.SearchAsync(new SearchRequest { Collection = "indexed", Vector = new Vector { Values = { query } }, K = 10, EfSearch = 128 });
            found += approximate.Hits.Select(h => h.Id).Intersect(exact.Hits.Select(h => h.Id)).Count();
        }

        Assert.True(found / (20 * 10) >= 0.9, $"recall@10 {found / 200:F3}");
    }

    [Fact]
    public async Task SetIndex_OnLiveCollection_ChangesSpecAndRebuilds()
    {
        var name = await TestCollections.CreateAsync(Server, "setindex", Dimension, Metric.L2);
        var items = Vectors.Random(700, Dimension, seed: 5);
        await TestCollections.UpsertAsync(Server, name, "v1", items.Select((v, i) => ($"i{i}", v)));
        Assert.Equal("", (await StatusAsync(name)).Spec);

        using (var response = await Server.PostJsonAsync($"/v1/collections/{name}/spaces/v1:setIndex", """{"index":"ivf8,flat"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var status = await WaitForAsync(name, s => s.Segments.Count > 0 && s.Segments.All(g => g.Indexed) && s.Build is null);
        Assert.Equal("IVF8,Flat", status.Spec);
        Assert.Equal(700, status.TotalVectors);
        var collection = await Server.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal("IVF8,Flat", collection.Spaces[0].Index);

        var hits = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { items[42] } }, K = 1, Nprobe = 8 });
        Assert.Equal("i42", hits.Hits[0].Id);

        // An HNSW build parameter is part of the spec: stored, reported in canonical spelling, and built with.
        using (var response = await Server.PostJsonAsync($"/v1/collections/{name}/spaces/v1:setIndex", """{"index":"hnsw16, efconstruction = 80"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        status = await WaitForAsync(name, s => s.Spec.StartsWith("HNSW", StringComparison.Ordinal) && s.Segments.Count > 0 && s.Segments.All(g => g.Indexed) && s.Build is null);
        Assert.Equal("HNSW16,efConstruction=80", status.Spec);
        Assert.All(status.Segments, s => Assert.Equal("HNSW16,efConstruction=80", s.IndexSpec));
        hits = await Server.Search.SearchAsync(new SearchRequest { Collection = name, Vector = new Vector { Values = { items[42] } }, K = 1, EfSearch = 32 });
        Assert.Equal("i42", hits.Hits[0].Id);

        using var unknown = await Server.PostJsonAsync($"/v1/collections/{name}/spaces/nope:setIndex", """{"index":"HNSW16"}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<SpaceIndexStatus> StatusAsync(string collection)
    {
        using var response = await Server.Rest.GetAsync(new Uri($"/v1/collections/{collection}/spaces/v1/index", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Google.Protobuf.JsonParser.Default.Parse<SpaceIndexStatus>(await response.Content.ReadAsStringAsync());
    }

    private async Task<SpaceIndexStatus> WaitForAsync(string collection, Func<SpaceIndexStatus, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var status = await Server.Collections.GetSpaceIndexStatusAsync(new GetSpaceIndexStatusRequest { Collection = collection, Space = "v1" });
            if (done(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the index did not settle: {status}");
            await Task.Delay(100);
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Durability;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// Several clients upsert and delete an overlapping set of ids on a child server while others read and search.
/// Every write carries a token in its payload from which its vector is derived, so any item seen with a vector that
/// does not belong to its payload is torn; readers check this during the run, on GetItems and on search hits. At the
/// end, on the live server and again after a SIGKILL and restart (so from the store), each id must hold exactly its
/// last acknowledged write, ordered by the sequence the server returned. Seconds of load: 8, or
/// <c>RETRIEVAL_CONFLICT_SECONDS</c>.
/// </summary>
public abstract class ConflictingWritersTests(ITestOutputHelper output)
{
    private const string Collection = "conflicts";
    private const int Dimension = 8;
    private const int IdCount = 40;
    private const int UpsertWriters = 3;
    private const int Deleters = 1;

    protected abstract Task<ChildServerStore> CreateStoreAsync();

    protected async Task RunAsync()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("RETRIEVAL_CONFLICT_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 8;
        await using var store = await CreateStoreAsync();
        var configuration = store.Configuration;
        var writes = new ConcurrentBag<AcknowledgedWrite>();
        var torn = new ConcurrentQueue<string>();
        var checks = new int[2];

        await using (var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            await server.Collections.CreateCollectionAsync(new CreateCollectionRequest
            {
                Name = Collection,
                Spaces = { new Space { Name = "v1", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "1" } } },
            });

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var tasks = new List<Task>();
            for (var w = 0; w < UpsertWriters; w++)
            {
                var writer = w;
                tasks.Add(Task.Run(() => UpsertLoopAsync(server, writer, writes, stop.Token)));
            }

            for (var d = 0; d < Deleters; d++)
            {
                var deleter = UpsertWriters + d;
                tasks.Add(Task.Run(() => DeleteLoopAsync(server, deleter, writes, stop.Token)));
            }

            tasks.Add(Task.Run(() => GetLoopAsync(server, torn, checks, stop.Token)));
            tasks.Add(Task.Run(() => SearchLoopAsync(server, torn, checks, stop.Token)));
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(seconds + 120));

            output.WriteLine($"{writes.Count} acknowledged writes, {checks[0]} items read and {checks[1]} search hits checked for tearing");
            Assert.True(torn.IsEmpty, $"torn items seen during the run: {string.Join("; ", torn.Take(10))}");
            Assert.True(writes.Any(w => w.Token is null) && writes.Any(w => w.Token is not null), "the load acknowledged no deletes or no upserts: the test proved nothing");
            Assert.True(checks[0] > 0 && checks[1] > 0, "the readers checked nothing: the test proved nothing");

            await VerifyFinalStateAsync(server, writes, "live server");
            await server.KillAsync();
        }

        configuration.RenewPorts();
        await using var restarted = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
        await VerifyFinalStateAsync(restarted, writes, "after SIGKILL and restart");
        await SearchOnceAsync(restarted, torn, checks, new Random(7), CancellationToken.None);
        Assert.True(torn.IsEmpty, $"torn items after restart: {string.Join("; ", torn.Take(10))}");
    }

    private static string IdOf(int n) => $"k{n}";

    /// <summary>The vector a write with this token carries: a pure function of the token, so readers can check it.</summary>
    private static float[] VectorOf(string token)
    {
        // Tokens are "w{writer}-{counter}"; string hashes are randomised per process, so the seed is parsed instead.
        var dash = token.IndexOf('-', StringComparison.Ordinal);
        var seed = (int.Parse(token.AsSpan(1, dash - 1), CultureInfo.InvariantCulture) * 1_000_000) + int.Parse(token.AsSpan(dash + 1), CultureInfo.InvariantCulture);
        var random = new Random(seed);
        var vector = new float[Dimension];
        for (var i = 0; i < Dimension; i++)
        {
            vector[i] = (float)(random.NextDouble() - 0.5);
        }

        return vector;
    }

    private static async Task UpsertLoopAsync(ChildServerProcess server, int writer, ConcurrentBag<AcknowledgedWrite> writes, CancellationToken stop)
    {
        var random = new Random(1000 + writer);
        var counter = 0;
        while (!stop.IsCancellationRequested)
        {
            var request = new UpsertItemsRequest { Collection = Collection };
            var tokens = new List<(string Id, string Token)>();
            foreach (var n in Enumerable.Range(0, IdCount).OrderBy(_ => random.Next()).Take(random.Next(1, 6)))
            {
                var token = $"w{writer}-{counter++}";
                var item = new Item { Id = IdOf(n), Payload = new Struct { Fields = { ["token"] = Value.ForString(token) } } };
                item.Vectors.Add("v1", new Vector { Values = { VectorOf(token) } });
                request.Items.Add(item);
                tokens.Add((item.Id, token));
            }

            // Every write must be answered: an unanswered write has an unknown effect and would make the final check
            // guess, so a failure fails the test instead.
            var response = await server.Items.UpsertItemsAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None);
            foreach (var (id, token) in tokens)
            {
                writes.Add(new AcknowledgedWrite(id, response.Sequence, token));
            }
        }
    }

    private static async Task DeleteLoopAsync(ChildServerProcess server, int deleter, ConcurrentBag<AcknowledgedWrite> writes, CancellationToken stop)
    {
        var random = new Random(2000 + deleter);
        while (!stop.IsCancellationRequested)
        {
            var id = IdOf(random.Next(IdCount));
            var response = await server.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = Collection, Ids = { id } }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None);
            // A delete of an absent id changes nothing and is answered with the current sequence: not a write.
            if (response.Deleted == 1)
            {
                writes.Add(new AcknowledgedWrite(id, response.Sequence, null));
            }

            await Task.Delay(random.Next(0, 5), CancellationToken.None);
        }
    }

    private static async Task GetLoopAsync(ChildServerProcess server, ConcurrentQueue<string> torn, int[] checks, CancellationToken stop)
    {
        var ids = Enumerable.Range(0, IdCount).Select(IdOf).ToList();
        while (!stop.IsCancellationRequested)
        {
            var got = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { ids }, WithVectors = true }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None);
            foreach (var item in got.Items)
            {
                CheckWhole(item.Id, item.Payload, item.Vectors, "GetItems", torn);
                Interlocked.Increment(ref checks[0]);
            }
        }
    }

    private static async Task SearchLoopAsync(ChildServerProcess server, ConcurrentQueue<string> torn, int[] checks, CancellationToken stop)
    {
        var random = new Random(3000);
        while (!stop.IsCancellationRequested)
        {
            await SearchOnceAsync(server, torn, checks, random, CancellationToken.None);
        }
    }

    private static async Task SearchOnceAsync(ChildServerProcess server, ConcurrentQueue<string> torn, int[] checks, Random random, CancellationToken cancellationToken)
    {
        var query = Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() - 0.5));
        var result = await server.Search.SearchAsync(
            new SearchRequest { Collection = Collection, Space = "v1", Vector = new Vector { Values = { query } }, K = 10, WithPayload = true, WithVectors = true },
            deadline: DateTime.UtcNow.AddSeconds(30),
            cancellationToken: cancellationToken);
        foreach (var hit in result.Hits)
        {
            CheckWhole(hit.Id, hit.Payload, hit.Vectors, "search hit", torn);
            Interlocked.Increment(ref checks[1]);
        }
    }

    /// <summary>Records an item whose vector is not the one its payload's token derives.</summary>
    private static void CheckWhole(string id, Struct? payload, Google.Protobuf.Collections.MapField<string, Vector> vectors, string where, ConcurrentQueue<string> torn)
    {
        if (payload is null || !payload.Fields.TryGetValue("token", out var token) || !vectors.TryGetValue("v1", out var vector))
        {
            torn.Enqueue($"{where} {id}: payload or vector missing");
            return;
        }

        if (!VectorOf(token.StringValue).SequenceEqual(vector.Values))
        {
            torn.Enqueue($"{where} {id}: vector does not belong to write {token.StringValue}");
        }
    }

    private async Task VerifyFinalStateAsync(ChildServerProcess server, ConcurrentBag<AcknowledgedWrite> writes, string when)
    {
        var last = writes.GroupBy(w => w.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g =>
        {
            var ordered = g.OrderByDescending(w => w.Sequence).ToList();
            Assert.True(ordered.Count == 1 || ordered[0].Sequence != ordered[1].Sequence, $"two acknowledged writes of {g.Key} share sequence {ordered[0].Sequence}");
            return ordered[0];
        }, StringComparer.Ordinal);

        var ids = Enumerable.Range(0, IdCount).Select(IdOf).ToList();
        var got = await server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { ids }, WithVectors = true }, deadline: DateTime.UtcNow.AddSeconds(60));
        var byId = got.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        var present = 0;
        foreach (var id in ids)
        {
            if (!last.TryGetValue(id, out var expected) || expected.Token is null)
            {
                Assert.False(byId.ContainsKey(id), $"{when}: {id} is present, but its last acknowledged write ({expected?.Sequence}) deleted it or it was never written");
                continue;
            }

            Assert.True(byId.TryGetValue(id, out var stored), $"{when}: {id} is missing; its last acknowledged write is {expected.Token} at sequence {expected.Sequence}");
            Assert.Equal(expected.Token, stored.Payload.Fields["token"].StringValue);
            Assert.Equal(VectorOf(expected.Token), stored.Vectors["v1"].Values);
            present++;
        }

        output.WriteLine($"{when}: {present} ids hold their last acknowledged upsert, {IdCount - present} are absent as their last acknowledged delete left them");
    }

    private sealed record AcknowledgedWrite(string Id, long Sequence, string? Token);
}

public sealed class SqliteConflictingWritersTests(ITestOutputHelper output) : ConflictingWritersTests(output)
{
    [Fact]
    public Task OverlappingUpsertsAndDeletes_LeaveLastAcknowledgedWrite_AndNoTornItem() => RunAsync();

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.SqliteAsync();
}

public sealed class PostgresConflictingWritersTests(ITestOutputHelper output) : ConflictingWritersTests(output)
{
    [SkippableFact]
    public Task OverlappingUpsertsAndDeletes_LeaveLastAcknowledgedWrite_AndNoTornItem()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        return RunAsync();
    }

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.PostgresAsync();
}

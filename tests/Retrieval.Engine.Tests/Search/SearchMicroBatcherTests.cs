using Retrieval.Core.Errors;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Search;

/// <summary>
/// The search micro-batcher: concurrent single searches coalesced into one batch-kernel pass answer exactly what each
/// single search answers (ids and scores), a search that fails in a batch gets the error its single search gets, and an
/// idle or disabled batcher answers on the caller's thread, completed on return.
/// </summary>
public sealed class SearchMicroBatcherTests
{
    private const int Dimension = 32;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task CoalescedSearches_AnswerExactlyWhatSingleSearchesAnswer(int shards)
    {
        // One search may run at a time: while the first is held, the others queue and are answered in batches of 16.
        var options = new EngineOptions { SearchBatching = { Enabled = true, MaxRunning = 1, MaxBatch = 16 } };
        await using var harness = await StartAsync(options);
        var queries = await FillAsync(harness, shards, count: 3000, queryCount: 40);
        var expected = queries.Select(q => harness.Engine.SearchWithRoute("c", q)).ToArray();

        var answers = await SearchWhileTheFirstIsHeldAsync(harness, queries);

        Assert.Equal(queries.Length - 1, harness.Engine.SearchBatcher.Coalesced);
        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Null(answers[q].Error);
            Assert.Equal(expected[q].Hits.Select(h => (h.Id, h.Score)), answers[q].Result!.Hits.Select(h => (h.Id, h.Score)));
        }
    }

    [Fact]
    public async Task AnInvalidSearch_GetsItsSingleSearchError_AndTheOthersTheirAnswers()
    {
        var options = new EngineOptions { SearchBatching = { Enabled = true, MaxRunning = 1 } };
        await using var harness = await StartAsync(options);
        var queries = await FillAsync(harness, shards: 1, count: 3000, queryCount: 32);
        var expected = queries.Select(q => harness.Engine.SearchWithRoute("c", q)).ToArray();
        // Every fourth query has the wrong dimension: the batch it queues in is refused as a whole.
        var mixed = queries.Select((q, i) => i % 4 == 3 ? q with { Vector = new float[Dimension + 1] } : q).ToArray();
        var single = Assert.Throws<RetrievalException>(() => harness.Engine.SearchWithRoute("c", mixed[3]));

        var answers = await SearchWhileTheFirstIsHeldAsync(harness, mixed);

        Assert.Equal(0, harness.Engine.SearchBatcher.Coalesced);
        for (var i = 0; i < mixed.Length; i++)
        {
            if (i % 4 == 3)
            {
                Assert.Null(answers[i].Result);
                Assert.Equal(ErrorKind.InvalidArgument, answers[i].Error!.Kind);
                Assert.Equal(single.Path?.ToString(), answers[i].Error!.Path?.ToString());
                Assert.Equal(single.Message, answers[i].Error!.Message);
            }
            else
            {
                Assert.Null(answers[i].Error);
                Assert.Equal(expected[i].Hits.Select(h => (h.Id, h.Score)), answers[i].Result!.Hits.Select(h => (h.Id, h.Score)));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneCallerAtATime_IsAnsweredOnItsOwnThread(bool enabled)
    {
        var options = new EngineOptions { SearchBatching = { Enabled = enabled } };
        await using var harness = await StartAsync(options);
        var queries = await FillAsync(harness, shards: 2, count: 500, queryCount: 10);
        foreach (var query in queries)
        {
            var pending = harness.Engine.SearchCoalesced("c", query);
            Assert.True(pending.IsCompletedSuccessfully, "a search with nothing else running waited");
            var answer = await pending;
            Assert.Equal(harness.Engine.SearchWithRoute("c", query).Hits.Select(h => (h.Id, h.Score)), answer.Hits.Select(h => (h.Id, h.Score)));
        }
    }

    /// <summary>
    /// Sends the first query and holds it once it runs; sends the rest meanwhile (they must all queue), then lets the
    /// first go. Every answer or error, in query order.
    /// </summary>
    private static async Task<(SearchResult? Result, RetrievalException? Error)[]> SearchWhileTheFirstIsHeldAsync(EngineHarness harness, SearchQuery[] queries)
    {
        var batcher = harness.Engine.SearchBatcher;
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var held = 0;
        batcher.RunningAlone = () =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                running.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        var first = Task.Run(() => Answer(queries[0]));
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)), "the first search did not start");
        var rest = queries.Skip(1).Select(Answer).ToArray();
        Assert.Equal(queries.Length - 1, batcher.Queued("c", "v"));
        Assert.All(rest, pending => Assert.False(pending.IsCompleted, "a search did not wait while the first ran"));
        release.Set();
        return [await first, .. await Task.WhenAll(rest)];

        async Task<(SearchResult?, RetrievalException?)> Answer(SearchQuery query)
        {
            try
            {
                return (await harness.Engine.SearchCoalesced("c", query), null);
            }
            catch (RetrievalException e)
            {
                return (null, e);
            }
        }
    }

    /// <summary>An exact space (no index: nothing is ever sealed) of random vectors; returns the queries.</summary>
    private static async Task<SearchQuery[]> FillAsync(EngineHarness harness, int shards, int count, int queryCount)
    {
        var random = new Random(11);
        float[] Vector() => [.. Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble() - 0.5f)];
        await harness.Engine.CreateCollectionAsync("c", [Space("v", Dimension)], null, storeInputs: false, shards, CancellationToken.None);
        var items = Enumerable.Range(0, count).Select(i => Item($"i{i}", "v", Vector())).ToList();
        for (var start = 0; start < count; start += 1000)
        {
            await harness.Engine.UpsertAsync("c", items.GetRange(start, Math.Min(1000, count - start)), CancellationToken.None);
        }

        return [.. Enumerable.Range(0, queryCount).Select(q => new SearchQuery("v", Vector(), 10, WithPayload: q % 2 == 0, Offset: q % 3))];
    }
}

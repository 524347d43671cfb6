using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Batching;

namespace Retrieval.Encoders.Onnx.Tests.Batching;

public sealed class MicroBatcherTests
{
    [Fact]
    public async Task Enqueue_ConcurrentItems_RunInBatchesUpToMax()
    {
        var sizes = new List<int>();
        await using var batcher = new MicroBatcher<int, int>(64, 4, TimeSpan.FromMilliseconds(50), (batch, _) =>
        {
            lock (sizes)
            {
                sizes.Add(batch.Count);
            }

            return batch.Select(x => x * 10).ToList();
        });

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => batcher.EnqueueAsync(i, CancellationToken.None)));

        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 10), results);
        Assert.All(sizes, s => Assert.InRange(s, 1, 4));
        Assert.True(sizes.Count < 10, "items should have been batched together");
    }

    [Fact]
    public async Task Enqueue_QueueFull_IsResourceExhausted()
    {
        using var release = new ManualResetEventSlim();
        await using var batcher = new MicroBatcher<int, int>(2, 1, TimeSpan.Zero, (batch, token) =>
        {
            release.Wait(TimeSpan.FromSeconds(10), token);
            return batch;
        });

        var running = batcher.EnqueueAsync(0, CancellationToken.None);
        // Whether or not the worker has taken item 0 yet, at most capacity more items fit before refusals start.
        var accepted = new List<Task<int>>();
        var error = Assert.Throws<RetrievalException>(() =>
        {
            for (var i = 1; i < 10; i++)
            {
                accepted.Add(batcher.EnqueueAsync(i, CancellationToken.None));
            }
        });

        Assert.Equal(ErrorKind.ResourceExhausted, error.Kind);
        release.Set();
        await running;
        await Task.WhenAll(accepted);
    }

    [Fact]
    public async Task Enqueue_CancelledBeforeRun_IsDroppedAndReportsCancellation()
    {
        using var release = new ManualResetEventSlim();
        var ran = new List<int>();
        await using var batcher = new MicroBatcher<int, int>(16, 1, TimeSpan.Zero, (batch, token) =>
        {
            release.Wait(TimeSpan.FromSeconds(10), token);
            lock (ran)
            {
                ran.AddRange(batch);
            }

            return batch;
        });

        var first = batcher.EnqueueAsync(1, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var second = batcher.EnqueueAsync(2, cancel.Token);
        await cancel.CancelAsync();
        release.Set();

        Assert.Equal(1, await first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.DoesNotContain(2, ran);
    }

    [Fact]
    public async Task Run_Throws_FailsThatBatchOnlyAndKeepsServing()
    {
        await using var batcher = new MicroBatcher<int, int>(16, 1, TimeSpan.Zero, (batch, _) =>
            batch[0] < 0 ? throw new InvalidOperationException("boom") : batch);

        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.EnqueueAsync(-1, CancellationToken.None));
        Assert.Equal(5, await batcher.EnqueueAsync(5, CancellationToken.None));
    }
}

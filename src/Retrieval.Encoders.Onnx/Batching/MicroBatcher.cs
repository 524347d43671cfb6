using System.Threading.Channels;
using Retrieval.Core.Errors;

namespace Retrieval.Encoders.Onnx.Batching;

/// <summary>
/// Gathers single inputs from concurrent callers into batches: a bounded queue, one worker that takes up to
/// <c>maxBatch</c> items, waiting at most <c>maxWait</c> after the first for more. A full queue refuses new items
/// at once with RESOURCE_EXHAUSTED (back-pressure to the client rather than unbounded memory). Items whose caller
/// cancelled are dropped before they run.
/// </summary>
public sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Channel<WorkItem> _queue;
    private readonly Func<IReadOnlyList<TIn>, CancellationToken, IReadOnlyList<TOut>> _run;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;

    public MicroBatcher(int capacity, int maxBatch, TimeSpan maxWait, Func<IReadOnlyList<TIn>, CancellationToken, IReadOnlyList<TOut>> run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _run = run;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _worker = Task.Run(WorkAsync);
    }

    public Task<TOut> EnqueueAsync(TIn input, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem(input, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            throw _stopping.IsCancellationRequested
                ? RetrievalException.Unavailable("the encoder is being unloaded")
                : RetrievalException.Exhausted("the encoder queue is full; retry later");
        }

        return item.Completion.Task;
    }

    private async Task WorkAsync()
    {
        var batch = new List<WorkItem>(_maxBatch);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                await FillAsync(batch, reader);
                Execute(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposal: fail whatever is still queued below.
        }

        foreach (var item in batch)
        {
            item.Completion.TrySetException(RetrievalException.Unavailable("the encoder was unloaded"));
        }

        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetException(RetrievalException.Unavailable("the encoder was unloaded"));
        }
    }

    private async Task FillAsync(List<WorkItem> batch, ChannelReader<WorkItem> reader)
    {
        TakeAvailable(batch, reader);
        if (batch.Count == 0 || batch.Count >= _maxBatch || _maxWait <= TimeSpan.Zero)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        wait.CancelAfter(_maxWait);
        try
        {
            while (batch.Count < _maxBatch && await reader.WaitToReadAsync(wait.Token))
            {
                TakeAvailable(batch, reader);
            }
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            // The wait for a fuller batch is over; run what we have.
        }
    }

    private void TakeAvailable(List<WorkItem> batch, ChannelReader<WorkItem> reader)
    {
        while (batch.Count < _maxBatch && reader.TryRead(out var item))
        {
            if (!item.Completion.Task.IsCompleted)
            {
                batch.Add(item);
            }
        }
    }

    private void Execute(List<WorkItem> batch)
    {
        batch.RemoveAll(item => item.Completion.Task.IsCompleted);
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var results = _run(batch.ConvertAll(item => item.Input), _stopping.Token);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            // One failing run fails its batch only; the worker keeps serving.
            foreach (var item in batch)
            {
                item.Completion.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _worker;
        _stopping.Dispose();
    }

    private sealed class WorkItem
    {
        private readonly CancellationTokenRegistration _registration;

        public WorkItem(TIn input, CancellationToken cancellationToken)
        {
            Input = input;
            Completion = new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously);
            _registration = cancellationToken.Register(() => Completion.TrySetCanceled(cancellationToken));
            Completion.Task.ContinueWith(_ => _registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public TIn Input { get; }

        public TaskCompletionSource<TOut> Completion { get; }
    }
}

using System.Threading.Channels;
using Retrieval.Core.Errors;

namespace Retrieval.Encoders.Onnx.Batching;

/// <summary>
/// Gathers the inputs of concurrent requests into model runs of at most <c>maxBatch</c> inputs. One worker takes
/// whatever is queued when the previous run ends ("natural" batching: under load, requests pile up while a batch
/// runs and the next run takes them together; when idle, a request runs at once); with <c>maxWait</c> &gt; 0 a
/// partial batch also waits that long for more. A request's inputs stay together and in order, split across runs
/// only when they exceed <c>maxBatch</c>. At most <c>capacity</c> inputs wait or run at once: beyond that a request
/// is refused at once with RESOURCE_EXHAUSTED (back-pressure to the client rather than unbounded memory). Requests
/// whose caller cancelled are dropped before their inputs run.
/// </summary>
public sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TIn>, CancellationToken, IReadOnlyList<TOut>> _run;
    private readonly int _capacity;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private int _pending;

    // A request taken only in part by the last batch (more inputs than room); only the worker touches it.
    private Request? _carry;

    public MicroBatcher(int capacity, int maxBatch, TimeSpan maxWait, Func<IReadOnlyList<TIn>, CancellationToken, IReadOnlyList<TOut>> run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _capacity = capacity;
        _run = run;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Inputs queued or running now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues one input. A full queue throws here, synchronously, like <see cref="EnqueueRangeAsync"/>.</summary>
    public Task<TOut> EnqueueAsync(TIn input, CancellationToken cancellationToken)
    {
        var results = EnqueueRangeAsync([input], cancellationToken);
        return First(results);

        static async Task<TOut> First(Task<TOut[]> results) => (await results)[0];
    }

    /// <summary>Queues one request's inputs; the results come back in the same order.</summary>
    public Task<TOut[]> EnqueueRangeAsync(IReadOnlyList<TIn> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        if (inputs.Count == 0)
        {
            return Task.FromResult(Array.Empty<TOut>());
        }

        if (Interlocked.Add(ref _pending, inputs.Count) > _capacity)
        {
            Interlocked.Add(ref _pending, -inputs.Count);
            throw RetrievalException.Exhausted($"the encoder queue is full ({_capacity} inputs); retry later");
        }

        var request = new Request(inputs, cancellationToken);
        // Whatever ends the request (results, failure, cancellation) frees its room in the queue.
        request.Completion.Task.ContinueWith(
            _ => Interlocked.Add(ref _pending, -inputs.Count), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (!_queue.Writer.TryWrite(request))
        {
            request.Completion.TrySetException(RetrievalException.Unavailable("the encoder is being unloaded"));
        }

        return request.Completion.Task;
    }

    private async Task WorkAsync()
    {
        var batch = new List<Segment>();
        var reader = _queue.Reader;
        try
        {
            while (_carry is not null || await reader.WaitToReadAsync(_stopping.Token))
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

        var unloaded = RetrievalException.Unavailable("the encoder was unloaded");
        foreach (var segment in batch)
        {
            segment.Request.Completion.TrySetException(unloaded);
        }

        _carry?.Completion.TrySetException(unloaded);
        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetException(unloaded);
        }
    }

    private async Task FillAsync(List<Segment> batch, ChannelReader<Request> reader)
    {
        var count = TakeAvailable(batch, reader, 0);
        if (count == 0 || count >= _maxBatch || _maxWait <= TimeSpan.Zero)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        wait.CancelAfter(_maxWait);
        try
        {
            while (count < _maxBatch && await reader.WaitToReadAsync(wait.Token))
            {
                count = TakeAvailable(batch, reader, count);
            }
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            // The wait for a fuller batch is over; run what we have.
        }
    }

    /// <summary>Adds queued inputs to the batch until it is full; returns the batch's input count.</summary>
    private int TakeAvailable(List<Segment> batch, ChannelReader<Request> reader, int count)
    {
        while (count < _maxBatch)
        {
            Request? request;
            if (_carry is not null)
            {
                (request, _carry) = (_carry, null);
            }
            else if (!reader.TryRead(out request))
            {
                break;
            }

            if (request.Completion.Task.IsCompleted)
            {
                continue;
            }

            var take = Math.Min(request.Inputs.Count - request.Taken, _maxBatch - count);
            batch.Add(new Segment(request, request.Taken, take));
            request.Taken += take;
            count += take;
            if (request.Taken < request.Inputs.Count)
            {
                _carry = request;
            }
        }

        return count;
    }

    private void Execute(List<Segment> batch)
    {
        batch.RemoveAll(segment => segment.Request.Completion.Task.IsCompleted);
        if (batch.Count == 0)
        {
            return;
        }

        var inputs = new List<TIn>();
        foreach (var (request, start, count) in batch)
        {
            for (var i = start; i < start + count; i++)
            {
                inputs.Add(request.Inputs[i]);
            }
        }

        try
        {
            var results = _run(inputs, _stopping.Token);
            var offset = 0;
            foreach (var (request, start, count) in batch)
            {
                for (var i = 0; i < count; i++)
                {
                    request.Results[start + i] = results[offset + i];
                }

                offset += count;
                request.Done += count;
                if (request.Done == request.Inputs.Count)
                {
                    request.Completion.TrySetResult(request.Results);
                }
            }
        }
        catch (Exception e)
        {
            // One failing run fails the requests in it only; the worker keeps serving.
            foreach (var segment in batch)
            {
                segment.Request.Completion.TrySetException(e);
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

    private readonly record struct Segment(Request Request, int Start, int Count);

    private sealed class Request
    {
        private readonly CancellationTokenRegistration _registration;

        public Request(IReadOnlyList<TIn> inputs, CancellationToken cancellationToken)
        {
            Inputs = inputs;
            Results = new TOut[inputs.Count];
            Completion = new TaskCompletionSource<TOut[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            _registration = cancellationToken.Register(() => Completion.TrySetCanceled(cancellationToken));
            Completion.Task.ContinueWith(_ => _registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public IReadOnlyList<TIn> Inputs { get; }

        public TOut[] Results { get; }

        public TaskCompletionSource<TOut[]> Completion { get; }

        /// <summary>Inputs handed to batches so far (worker only).</summary>
        public int Taken { get; set; }

        /// <summary>Inputs whose results are in (worker only).</summary>
        public int Done { get; set; }
    }
}

namespace Retrieval.Engine.Writes;

/// <summary>
/// The batches of one upsert stream, in the order they arrived. Several of them may wait for a commit at once (so that
/// they can share one), yet they keep the stream's order: each joins the collection's commit queue only after the one
/// before it, so it gets the higher sequence. Once one of them fails, none after it is written (a stream ends at its
/// first failed batch, and a client must not find later batches committed that it was never told about).
/// </summary>
public sealed class WriteChain
{
    private readonly Lock _lock = new();
    private Task _tail = Task.CompletedTask;
    private volatile bool _broken;

    /// <summary>Whether a batch of this stream failed: later ones are refused without being written.</summary>
    internal bool IsBroken => _broken;

    /// <summary>Marks the stream failed.</summary>
    internal void Break() => _broken = true;

    /// <summary>
    /// Takes the next place in the stream's order: the returned task completes once the previous batch joined the commit
    /// queue (or failed before it), and <see cref="Turn.Dispose"/> says that this one has (or has failed).
    /// </summary>
    internal Turn TakeTurn()
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var previous = _tail;
            _tail = mine.Task;
            return new Turn(this, previous, mine);
        }
    }

    /// <summary>One batch's place in the stream's order.</summary>
    internal sealed class Turn(WriteChain chain, Task previous, TaskCompletionSource mine) : IDisposable
    {
        /// <summary>The stream.</summary>
        public WriteChain Chain => chain;

        /// <summary>Completes when the previous batch of the stream has joined the commit queue.</summary>
        public Task Previous => previous;

        public void Dispose() => mine.TrySetResult();
    }
}

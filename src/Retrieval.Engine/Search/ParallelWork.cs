using System.Runtime.ExceptionServices;

namespace Retrieval.Engine.Search;

/// <summary>
/// Runs a short list of independent work items on the calling thread and up to processors − 1 thread-pool threads,
/// each taking the next item until none is left. The caller never waits for a pool thread to start: if none picks an
/// item up in time, the caller runs it, so the cost is at most that of running the items in sequence. A search over
/// two shards is two items of tens of microseconds each, where <see cref="Parallel.For(int, int, Action{int})"/>'s
/// bookkeeping and a blocking wait would be a visible share of the latency.
/// </summary>
internal static class ParallelWork
{
    /// <summary>Runs every item once; rethrows the first failure after all items have finished.</summary>
    public static void Run(IReadOnlyList<Action> work)
    {
        if (work.Count == 1)
        {
            work[0]();
            return;
        }

        var batch = new Batch(work);
        var helpers = Math.Min(work.Count, Environment.ProcessorCount) - 1;
        for (var i = 0; i < helpers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static b => b.Drain(), batch, preferLocal: false);
        }

        batch.Drain();
        batch.WaitAndRethrow();
    }

    private sealed class Batch(IReadOnlyList<Action> work)
    {
        private int _next = -1;
        private int _done;
        private ExceptionDispatchInfo? _failure;

        /// <summary>Takes items until none is left. A helper that starts after every item was taken finds nothing to do.</summary>
        public void Drain()
        {
            int index;
            while ((index = Interlocked.Increment(ref _next)) < work.Count)
            {
                try
                {
                    work[index]();
                }
                catch (Exception exception)
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(exception), null);
                }
                finally
                {
                    Interlocked.Increment(ref _done);
                }
            }
        }

        /// <summary>
        /// Waits for the items other threads took. At most one item per helper is still running once the caller finds
        /// nothing left to take, so the caller spins (yielding, never sleeping) rather than blocking on an event.
        /// </summary>
        public void WaitAndRethrow()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _done) < work.Count)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            _failure?.Throw();
        }
    }
}

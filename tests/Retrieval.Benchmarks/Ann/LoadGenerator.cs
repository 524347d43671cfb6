using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Retrieval.Benchmarks.Ann;

/// <summary>
/// The two load shapes of <c>ann-serve</c>. Closed loop: C workers, each sending its next request when the last one
/// answered (measures peak throughput at bounded concurrency). Open loop: requests at a fixed rate whatever the
/// answers do, each one's latency counted from the moment it was due to be sent, so a stalled server is charged
/// for every request it delayed (no coordinated omission).
/// </summary>
internal static partial class LoadGenerator
{
    public static async Task<LoadResult> ClosedLoopAsync(int concurrency, double seconds, Func<int, Task> call)
    {
        var latency = new LatencyRecorder();
        var next = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var started = Stopwatch.GetTimestamp();
                await call(Interlocked.Increment(ref next));
                latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return new LoadResult(latency.Count / clock.Elapsed.TotalSeconds, latency, null, 0);
    }

    /// <summary>
    /// Sends <paramref name="rate"/> requests per second for <paramref name="seconds"/> from one pacing thread that
    /// sleeps until each request's due time with clock_nanosleep (absolute, CLOCK_MONOTONIC: no spinning, so it takes
    /// no CPU from the server, and no drift). More than <paramref name="maxOutstanding"/> unanswered requests count as
    /// failed (infinite latency) instead of being sent.
    /// </summary>
    public static async Task<LoadResult> OpenLoopAsync(double rate, double seconds, int maxOutstanding, Func<int, Task> call)
    {
        var latency = new LatencyRecorder();
        var lateness = new LatencyRecorder();
        var outstanding = 0;
        var dropped = 0;
        var allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var interval = Stopwatch.Frequency / rate;
        var total = (int)(rate * seconds);
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        var pacer = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * interval);
                SleepUntil(due);
                lateness.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
                if (Volatile.Read(ref outstanding) >= maxOutstanding)
                {
                    Interlocked.Increment(ref dropped);
                    latency.Add(double.PositiveInfinity);
                    continue;
                }

                Interlocked.Increment(ref outstanding);
                var sent = due;
                call(i).ContinueWith(
                    t =>
                    {
                        latency.Add(t.IsCompletedSuccessfully ? Stopwatch.GetElapsedTime(sent).TotalMilliseconds : double.PositiveInfinity);
                        Interlocked.Decrement(ref outstanding);
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            allSent.SetResult();
        })
        { IsBackground = true, Name = "open-loop pacer", Priority = ThreadPriority.AboveNormal };
        pacer.Start();
        await allSent.Task;
        while (Volatile.Read(ref outstanding) > 0)
        {
            await Task.Delay(1);
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new LoadResult(latency.Count / elapsed, latency, lateness, dropped);
    }

    private static void SleepUntil(long dueTimestamp)
    {
        if (Stopwatch.Frequency != 1_000_000_000)
        {
            // Not CLOCK_MONOTONIC nanoseconds (not Linux): millisecond sleeps, then yield.
            while (Stopwatch.GetTimestamp() < dueTimestamp)
            {
                var left = (dueTimestamp - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                Thread.Sleep(left > 1 ? (int)left - 1 : 0);
            }

            return;
        }

        var due = new Timespec { Seconds = dueTimestamp / 1_000_000_000, Nanoseconds = dueTimestamp % 1_000_000_000 };
        while (ClockNanosleep(ClockMonotonic, TimerAbsTime, in due, 0) is var error && error == EIntr)
        {
            // Interrupted by a signal: sleep again until the same absolute time.
        }
    }

    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;
    private const int EIntr = 4;

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, nint remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

/// <summary>
/// One load run: achieved rate, latencies, and for open loops how late the pacer sent (its own precision) and how
/// many requests were not sent because too many were outstanding.
/// </summary>
internal sealed record LoadResult(double Qps, LatencyRecorder Latency, LatencyRecorder? SendLateness, int Dropped);

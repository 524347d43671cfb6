using System.Diagnostics;
using System.Diagnostics.Metrics;
using Retrieval.Core.Model;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The backfill source of a re-projection migration (issue 18 item 3): each item's joint-space vector is its stored old
/// vector through the gallery side of a two-sided pair, <c>(x − μ_o)·P_o</c> (re-normalized for a cosine joint space),
/// exactly as the write rule derives it through the migration's inverse map. A matrix product per item, no model
/// inference, so it runs inline on the worker; its wall and CPU time are counted per migration (metrics
/// <c>retrieval_reprojection_*</c>) so the live cost per million vectors can be read beside the fit's estimate.
/// </summary>
internal sealed class ReprojectionBackfillProducer : IBackfillVectorProducer
{
    private static readonly Meter Meter = new(MigrationMetrics.MeterName);

    private static readonly Counter<long> Vectors = Meter.CreateCounter<long>(
        "reprojection_vectors", "vectors", "Stored old vectors re-projected into a joint space by a re-projection migration.");

    private static readonly Counter<double> Seconds = Meter.CreateCounter<double>(
        "reprojection_seconds", "s", "Wall time spent re-projecting stored old vectors (the matrix products only).");

    private static readonly Counter<double> CpuSeconds = Meter.CreateCounter<double>(
        "reprojection_cpu_seconds", "s", "CPU time (the worker thread's user + system) spent re-projecting stored old vectors.");

    public string? WhyNot(BackfillJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Reprojection is null ? "the migration is not a re-projection (no two-sided map)" : null;
    }

    public Task<IReadOnlyList<ProducedVector?>> ProduceAsync(BackfillJob job, IReadOnlyList<BackfillSourceItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(items);
        var gallery = job.Reprojection ?? throw new InvalidOperationException(WhyNot(job));
        var normalize = job.ToSpace.Metric == Metric.Cosine;
        var results = new ProducedVector?[items.Count];
        var cpu = ThreadCpuClock.Now();
        var watch = Stopwatch.StartNew();
        var produced = 0;
        for (var i = 0; i < items.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // An item without an old vector has nothing to re-project; the walk passes it (it is left for the client).
            if (items[i].Vectors.TryGetValue(job.FromSpace, out var old))
            {
                results[i] = new ProducedVector(SpaceProjection.Apply(gallery, old, job.ToSpace.Dimension, normalize), null);
                produced++;
            }
        }

        var tags = new TagList { { "collection", job.Collection.Name }, { "space", job.ToSpace.Name } };
        Vectors.Add(produced, tags);
        Seconds.Add(watch.Elapsed.TotalSeconds, tags);
        if (ThreadCpuClock.IsAvailable)
        {
            CpuSeconds.Add((ThreadCpuClock.Now() - cpu).TotalSeconds, tags);
        }

        return Task.FromResult<IReadOnlyList<ProducedVector?>>(results);
    }
}

namespace Retrieval.Engine.Segments;

/// <summary>A running build: which segments it replaces, and how many of its vectors are in the new index so far.</summary>
internal sealed class BuildProgress(IReadOnlyList<long> sourceSegments, string spec, long total)
{
    private long _done;

    public IReadOnlyList<long> SourceSegments { get; } = sourceSegments;

    public string Spec { get; } = spec;

    public long Total { get; } = total;

    public long Done => Interlocked.Read(ref _done);

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public void Report(long done) => Interlocked.Exchange(ref _done, done);
}

using System.Diagnostics;

namespace Retrieval.Engine;

/// <summary>
/// The engine's trace spans (OpenTelemetry through <see cref="ActivitySource"/>): a search shows its planning, shard
/// fan-out and rendering; a write its encoding, store commit and in-memory apply. With no listener (tracing off, the
/// default), <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs a branch.
/// </summary>
public static class EngineTracing
{
    /// <summary>The activity source a tracer subscribes to.</summary>
    public const string SourceName = "Retrieval.Engine";

    /// <summary>Tag: the collection's canonical name.</summary>
    public const string CollectionTag = "retrieval.collection";

    /// <summary>Tag: the space searched (the first query's, for a batch); absent for the default space.</summary>
    public const string SpaceTag = "retrieval.space";

    /// <summary>Tag: searches in the request (1 for a single search).</summary>
    public const string SearchesTag = "retrieval.searches";

    /// <summary>Tag: items written or deleted in the batch.</summary>
    public const string ItemsTag = "retrieval.items";

    /// <summary>Tag: shards a search fanned out over.</summary>
    public const string ShardsTag = "retrieval.shards";

    /// <summary>Tag: the sequence number the store gave the committed batch.</summary>
    public const string SequenceTag = "retrieval.sequence";

    internal static readonly ActivitySource Source = new(SourceName, typeof(EngineTracing).Assembly.GetName().Version?.ToString());

    /// <summary>A span tagged with its collection; null when nobody listens.</summary>
    internal static Activity? Start(string name, string collection)
    {
        var activity = Source.StartActivity(name);
        activity?.SetTag(CollectionTag, collection);
        return activity;
    }

    /// <summary>A step inside the current span (no collection tag: its parent has it); null when nobody listens.</summary>
    internal static Activity? Step(string name) => Source.StartActivity(name);

    /// <summary>
    /// Marks the span failed with the exception, as OpenTelemetry's conventions ask. Returns false, so that it serves
    /// as an exception filter that records and never catches.
    /// </summary>
    internal static bool Failed(Activity? activity, Exception exception)
    {
        RecordFailure(activity, exception);
        return false;
    }

    /// <summary>Marks the span failed with the exception (status Error, an exception event).</summary>
    internal static void RecordFailure(Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.AddException(exception);
        }
    }
}

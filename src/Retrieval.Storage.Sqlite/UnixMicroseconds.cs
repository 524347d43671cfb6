namespace Retrieval.Storage.Sqlite;

/// <summary>
/// Timestamps as INTEGER microseconds since the Unix epoch: sortable, and the precision PostgreSQL's
/// timestamptz keeps, so a definition reads back the same from either store.
/// </summary>
internal static class UnixMicroseconds
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    public static long From(DateTimeOffset value) =>
        (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    public static DateTimeOffset ToDateTimeOffset(long microseconds) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (microseconds * TicksPerMicrosecond), TimeSpan.Zero);
}

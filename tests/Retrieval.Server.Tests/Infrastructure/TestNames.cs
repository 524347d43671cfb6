
namespace Retrieval.Server.Tests.Infrastructure;

internal static class TestNames
{
    private static int _counter;

    /// <summary>A collection name unique within the test run.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}

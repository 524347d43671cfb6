using Microsoft.Extensions.Logging;

namespace Retrieval.Testing.Logging;

/// <summary>Keeps formatted log lines, so that a test can check that a fallback or a refusal says why. Thread-safe.</summary>
/// <typeparam name="T">The category it stands in for.</typeparam>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    /// <summary>A copy of the lines logged so far, oldest first.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add(formatter(state, exception));
        }
    }
}

using Npgsql;

namespace Retrieval.Storage.Postgres;

/// <summary>Which Npgsql failures mean the database could not be reached, as opposed to a statement it refused.</summary>
internal static class PostgresFailures
{
    /// <summary>
    /// The connection failed or was lost: a socket or stream error, a timeout (not a <see cref="PostgresException"/>),
    /// or the server ending the session (severity FATAL or PANIC: an immediate, fast or crash shutdown terminates every
    /// backend). An error at severity ERROR is a statement the database refused, after which the session goes on.
    /// </summary>
    public static bool IsConnectionLost(NpgsqlException exception) => exception switch
    {
        PostgresException server => server.InvariantSeverity is "FATAL" or "PANIC",
        _ => true,
    };

    /// <summary>
    /// No connection could be opened: the connection was lost (<see cref="IsConnectionLost"/>) or the server refused
    /// the session for now (starting up, too many connections: <see cref="NpgsqlException.IsTransient"/>).
    /// </summary>
    public static bool IsCannotConnect(NpgsqlException exception) => IsConnectionLost(exception) || exception.IsTransient;
}

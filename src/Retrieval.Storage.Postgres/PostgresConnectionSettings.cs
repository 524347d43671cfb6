using System.Data.Common;
using Npgsql;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The connection settings the store applies to its connection string. Npgsql's own defaults wait 15 s for a
/// connection, which is longer than a client's usual deadline for a write: a write during a database outage must be
/// refused quickly (UNAVAILABLE), not hang. A setting the connection string names explicitly always wins.
/// </summary>
internal static class PostgresConnectionSettings
{
    /// <summary>Seconds to wait for a new physical connection (Npgsql's <c>Timeout</c>; its default is 15).</summary>
    public const int ConnectTimeoutSeconds = 5;

    /// <summary>
    /// Seconds a statement may run before Npgsql cancels it (<c>Command Timeout</c>, Npgsql's default, stated here
    /// so that it is documented): bounds a write to a database that accepts the connection but no longer answers.
    /// </summary>
    public const int CommandTimeoutSeconds = 30;

    /// <summary>Statements prepared per physical connection (<c>Max Auto Prepare</c>; Npgsql's default is 0, off).</summary>
    public const int MaxAutoPrepare = 32;

    /// <summary>The connection string with the store's settings where it names none.</summary>
    public static string Apply(string connectionString)
    {
        var named = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!named.Contains("TIMEOUT"))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }

        if (!named.Contains("COMMANDTIMEOUT"))
        {
            builder.CommandTimeout = CommandTimeoutSeconds;
        }

        if (!named.Contains("MAXAUTOPREPARE"))
        {
            // The write and read statements repeat with every batch and page: prepared once per physical
            // connection, they skip parse and plan on the server.
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}

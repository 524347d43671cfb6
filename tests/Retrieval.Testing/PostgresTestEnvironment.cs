namespace Retrieval.Testing;

/// <summary>
/// Where the PostgreSQL tests get their server: <c>RETRIEVAL_TEST_POSTGRES</c>, an Npgsql connection string to a
/// database in which the tests may create databases (tests/postgres/start-throwaway.sh prints one). Without it
/// the tests are skipped locally, but fail under CI (<c>CI=true</c>) so that a misconfigured pipeline cannot
/// pass by testing nothing.
/// </summary>
public static class PostgresTestEnvironment
{
    public const string VariableName = "RETRIEVAL_TEST_POSTGRES";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(VariableName) is { Length: > 0 } value ? value : null;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the tests are skipped, or null when they must run (a server is configured, or this is CI).</summary>
    public static string? SkipReason => ConnectionString is null && !IsCi
        ? $"{VariableName} is not set; start a server with `eval \"$(tests/postgres/start-throwaway.sh)\"`"
        : null;

    public static string RequireConnectionString() => ConnectionString ?? throw new InvalidOperationException(
        $"{VariableName} is not set, and CI=true requires the PostgreSQL store tests to run: set it to an Npgsql " +
        "connection string of a server where the tests may create databases (tests/postgres/start-throwaway.sh starts one)");
}

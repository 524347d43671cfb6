using Npgsql;
using Retrieval.Core.Storage;
using Retrieval.Testing.Server;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// What the store reports when its database cannot be reached, and the connection settings it applies. No server is
/// needed: the store points at a loopback port where nothing listens (the end-to-end outage is
/// Retrieval.Server.Tests' StoreOutageTests).
/// </summary>
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task Write_NoServerListening_IsUnavailableAndNotCommitted_WithinTheConnectTimeout()
    {
        await using var store = new PostgresRetrievalStore($"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=postgres");
        var write = WriteBatch.ForUpserts([new ItemWrite("a", null, new Dictionary<string, float[]> { ["v1"] = [1f] })]);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.WriteAsync("c", write, CancellationToken.None));

        Assert.Equal(StoreWriteOutcome.NotCommitted, error.Outcome);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(PostgresConnectionSettings.ConnectTimeoutSeconds + 2), $"refused after {clock.Elapsed}");
    }

    [Fact]
    public async Task Ping_NoServerListening_Throws()
    {
        await using var store = new PostgresRetrievalStore($"Host=127.0.0.1;Port={FreePort.Next()};Username=postgres;Database=postgres");

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => store.PingAsync(CancellationToken.None));
    }

    [Fact]
    public void ConnectionSettings_NoneNamed_AreTheStoreDefaults()
    {
        var applied = new NpgsqlConnectionStringBuilder(PostgresConnectionSettings.Apply("Host=db;Username=u"));

        Assert.Equal(PostgresConnectionSettings.ConnectTimeoutSeconds, applied.Timeout);
        Assert.Equal(PostgresConnectionSettings.CommandTimeoutSeconds, applied.CommandTimeout);
        Assert.Equal(PostgresConnectionSettings.MaxAutoPrepare, applied.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=db;Timeout=15;Command Timeout=0;Max Auto Prepare=0")]
    [InlineData("Host=db;timeout=15;CommandTimeout=0;maxautoprepare=0")]
    public void ConnectionSettings_NamedInTheString_Win(string connectionString)
    {
        var applied = new NpgsqlConnectionStringBuilder(PostgresConnectionSettings.Apply(connectionString));

        Assert.Equal(15, applied.Timeout);
        Assert.Equal(0, applied.CommandTimeout);
        Assert.Equal(0, applied.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("FATAL", "57P01", true)]
    [InlineData("PANIC", "XX000", true)]
    [InlineData("ERROR", "23505", false)]
    [InlineData("ERROR", "40001", false)]
    public void ConnectionLost_ServerEndingTheSession_NotAStatementError(string severity, string sqlState, bool lost) =>
        Assert.Equal(lost, PostgresFailures.IsConnectionLost(new PostgresException("message", severity, severity, sqlState)));

    [Fact]
    public void ConnectionLost_SocketFailure_IsLost() =>
        Assert.True(PostgresFailures.IsConnectionLost(new NpgsqlException("Exception while reading from stream", new IOException("reset"))));
}

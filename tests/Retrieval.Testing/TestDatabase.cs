using Npgsql;

namespace Retrieval.Testing;

/// <summary>A fresh, empty database on the test server (<c>rt_&lt;guid&gt;</c>), dropped on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string adminConnectionString;

    private TestDatabase(string adminConnectionString, string name)
    {
        this.adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(CancellationToken cancellationToken)
    {
        var admin = PostgresTestEnvironment.RequireConnectionString();

        // CREATE DATABASE takes no parameters; the name is generated here from a GUID, never from input.
        var database = new TestDatabase(admin, "rt_" + Guid.NewGuid().ToString("N"));
        await database.ExecuteAdminAsync($"CREATE DATABASE \"{database.Name}\"", cancellationToken);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        // The pool still holds idle connections to the database; FORCE ends them with it.
        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", CancellationToken.None);
        using var pooled = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(pooled);
    }

    private async Task ExecuteAdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

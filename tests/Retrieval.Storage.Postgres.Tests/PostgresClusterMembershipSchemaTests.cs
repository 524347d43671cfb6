using Npgsql;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// `retrieval db migrate` creates what Orleans' ADO.NET clustering reads and writes. The provider refuses to start
/// unless every query key it needs is in <c>orleansquery</c>; the multi-node tests (Retrieval.Server.Tests, Cluster/)
/// run the provider itself against these tables.
/// </summary>
public sealed class PostgresClusterMembershipSchemaTests
{
    /// <summary>The keys Microsoft.Orleans.Clustering.AdoNet 10.4 looks up (its stored-query contract).</summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
    ];

    [PostgresFact]
    public async Task UpgradeAsync_CreatesTheMembershipTablesAndEveryProviderQuery_Once()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);

        var first = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        var second = await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);

        Assert.Contains(first, upgrade => upgrade.Name.Contains("cluster membership", StringComparison.Ordinal));
        Assert.Empty(second);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var keys = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT QueryKey, QueryText FROM OrleansQuery ORDER BY QueryKey;", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(ProviderQueryKeys.Order(StringComparer.Ordinal), keys);
        foreach (var table in new[] { "orleans_membership", "orleans_membership_version" })
        {
            await using var command = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL;", connection);
            command.Parameters.AddWithValue("table", table);
            Assert.True(await command.ExecuteScalarAsync() is true, $"table {table} is missing");
        }
    }

    [PostgresFact]
    public async Task MembershipQueries_InsertOnlyAtTheReadVersion_AndReadBackTheRow()
    {
        await using var database = await TestDatabase.CreateAsync(CancellationToken.None);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, CancellationToken.None);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();

        Assert.Equal(1, await RunStoredAsync(connection, "InsertMembershipVersionKey", Cluster()));
        Assert.Equal(0, await RunStoredAsync(connection, "InsertMembershipVersionKey", Cluster()));
        Assert.Equal(1, await RunStoredAsync(connection, "InsertMembershipKey", Silo(version: 0)));
        // A second writer that read version 0 too loses the compare-and-set, and changes nothing.
        Assert.Equal(0, await RunStoredAsync(connection, "InsertMembershipKey", Silo(version: 0, generation: 8)));
        Assert.Equal(0, await RunStoredAsync(connection, "UpdateMembershipKey", Silo(version: 0, status: 6)));
        Assert.Equal(1, await RunStoredAsync(connection, "UpdateMembershipKey", Silo(version: 1, status: 6)));

        await using var read = new NpgsqlCommand(await QueryTextAsync(connection, "MembershipReadAllKey"), connection);
        read.Parameters.AddWithValue("DeploymentId", "c1");
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(7, reader.GetInt32(reader.GetOrdinal("Generation")));
        Assert.Equal(6, reader.GetInt32(reader.GetOrdinal("Status")));
        Assert.Equal(2, reader.GetInt32(reader.GetOrdinal("Version")));
        Assert.False(await reader.ReadAsync());
    }

    private static Dictionary<string, object?> Cluster() => new() { ["DeploymentId"] = "c1" };

    private static Dictionary<string, object?> Silo(int version, int generation = 7, int status = 3) => new()
    {
        ["DeploymentId"] = "c1",
        ["Address"] = "10.0.0.1",
        ["Port"] = 11111,
        ["Generation"] = generation,
        ["SiloName"] = "node-a",
        ["HostName"] = "host-a",
        ["Status"] = status,
        ["ProxyPort"] = 30000,
        ["SuspectTimes"] = null,
        ["StartTime"] = DateTime.UtcNow,
        ["IAmAliveTime"] = DateTime.UtcNow,
        ["Version"] = version,
    };

    private static async Task<string> QueryTextAsync(NpgsqlConnection connection, string key)
    {
        await using var command = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key;", connection);
        command.Parameters.AddWithValue("key", key);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs a stored query as the provider does (named parameters) and returns its single value.</summary>
    private static async Task<int> RunStoredAsync(NpgsqlConnection connection, string key, Dictionary<string, object?> parameters)
    {
        await using var command = new NpgsqlCommand(await QueryTextAsync(connection, key), connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

using System.Globalization;
using Npgsql;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// The change feed of a PostgreSQL store shared by the nodes of a cluster: versions from the catalog rows (schema
/// upgrade 11, <see cref="PostgresChangeFeedSchema"/>) and notices through <c>LISTEN</c> on one dedicated, unpooled
/// connection (a pooled one would be reset, and its listening ended, when returned). The connection uses TCP
/// keepalives, so a silently dead peer is noticed; whatever it misses meanwhile, the poll of the versions finds.
/// </summary>
public sealed class PostgresChangeFeed : IStoreChangeFeed
{
    /// <summary>Seconds between TCP keepalive probes of the listening connection.</summary>
    public const int ListenKeepAliveSeconds = 10;

    private const string VersionsSql = """
        SELECT (SELECT version FROM catalog_version), c.name, c.key, c.catalog_version, c.last_sequence
        FROM (SELECT 1) AS one LEFT JOIN collections AS c ON true
        """;

    private readonly NpgsqlDataSource _queries;
    private readonly string _listenConnectionString;

    public PostgresChangeFeed(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var settings = PostgresConnectionSettings.Apply(connectionString);
        _queries = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(settings) { MaxPoolSize = 2 }.ConnectionString);
        _listenConnectionString = new NpgsqlConnectionStringBuilder(settings)
        {
            Pooling = false,
            KeepAlive = ListenKeepAliveSeconds,
            TcpKeepAlive = true,
            // Waiting for notices is no statement: no command timeout applies to it.
            CommandTimeout = 0,
        }.ConnectionString;
    }

    public async Task<StoreVersions> ReadVersionsAsync(CancellationToken cancellationToken)
    {
        await using var command = _queries.CreateCommand(VersionsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long catalog = 0;
        var collections = new Dictionary<string, CollectionVersions>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            catalog = reader.GetInt64(0);
            if (!reader.IsDBNull(1))
            {
                collections[reader.GetString(1)] = new CollectionVersions(reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4));
            }
        }

        return new StoreVersions(catalog, collections);
    }

    public async Task ListenAsync(Action listening, Action<StoreChangeNotice> notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listening);
        ArgumentNullException.ThrowIfNull(notice);
        await using var connection = new NpgsqlConnection(_listenConnectionString);
        await connection.OpenAsync(cancellationToken);
        connection.Notification += (_, e) =>
        {
            if (Parse(e.Channel, e.Payload) is { } parsed)
            {
                notice(parsed);
            }
        };
        await using (var listen = new NpgsqlCommand(
            $"LISTEN {PostgresChangeFeedSchema.CatalogChannel}; LISTEN {PostgresChangeFeedSchema.ItemsChannel};", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        listening();
        while (true)
        {
            // Returns after each notice (raised through the handler above); throws when the connection breaks.
            await connection.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A notice's meaning, or null for a payload this build does not read (a newer node's).</summary>
    internal static StoreChangeNotice? Parse(string channel, string payload)
    {
        if (channel == PostgresChangeFeedSchema.CatalogChannel)
        {
            return new StoreChangeNotice(StoreChangeKind.Catalog, payload.Length == 0 ? null : payload, 0);
        }

        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        return channel == PostgresChangeFeedSchema.ItemsChannel && colon > 0
            && long.TryParse(payload.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new StoreChangeNotice(StoreChangeKind.Items, payload[(colon + 1)..], sequence)
            : null;
    }

    public ValueTask DisposeAsync() => _queries.DisposeAsync();
}

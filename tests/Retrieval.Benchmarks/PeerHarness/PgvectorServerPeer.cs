using System.Globalization;
using Npgsql;
using Pgvector;

namespace Retrieval.Benchmarks.PeerHarness;

/// <summary>
/// PostgreSQL + pgvector as a peer, over Npgsql: the table and HNSW index that peers/pgvector.sh loaded, one
/// <c>ORDER BY embedding &lt;op&gt; $1 LIMIT k</c> per call with the vector as a binary parameter and the statement
/// prepared on each pooled connection. efSearch is a connection startup option (<c>-c hnsw.ef_search=N</c>), so a new
/// pool is opened per sweep point and no call pays a <c>SET</c>.
/// </summary>
internal sealed class PgvectorServerPeer : IServerPeer
{
    /// <summary>pgvector's upper bound for hnsw.ef_search.</summary>
    private const int PgvectorMaxEf = 1000;

    private readonly string _connectionString;
    private readonly PeerData _data;
    private readonly Vector[] _queries;
    private readonly string _sql;
    private NpgsqlDataSource? _source;

    private PgvectorServerPeer(string connectionString, PeerData data, string version, int postmaster)
    {
        _connectionString = connectionString;
        _data = data;
        _queries = [.. Enumerable.Range(0, data.QueryCount).Select(q => new Vector(data.Query(q).ToArray()))];
        // <#> is the negative inner product (ascending = best first), <-> the L2 distance: the operators the index's
        // operator class (vector_ip_ops / vector_l2_ops) serves.
        _sql = $"SELECT id FROM items ORDER BY embedding {(data.InnerProduct ? "<#>" : "<->")} $1 LIMIT {data.K.ToString(CultureInfo.InvariantCulture)}";
        Name = $"pgvector {version} (Npgsql)";
        ServerProcessId = postmaster;
    }

    public string Name { get; }

    public int MaxEf => PgvectorMaxEf;

    public int ServerProcessId { get; }

    /// <summary>
    /// Connects to the cluster that peers/pgvector.sh prepared and checks that it holds this data set (same row count)
    /// and that the planner uses the HNSW index for the query.
    /// </summary>
    public static async Task<PgvectorServerPeer> ConnectAsync(string connectionString, PeerData data, TextWriter log)
    {
        await using var source = Open(connectionString, 1, 40);
        await using var connection = await source.OpenConnectionAsync();
        var version = (string)(await Scalar(connection, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            ?? throw new InvalidOperationException("the database has no vector extension: prepare it with peers/pgvector.sh"));
        var rows = Convert.ToInt64(await Scalar(connection, "SELECT count(*) FROM items"), CultureInfo.InvariantCulture);
        if (rows != data.Count)
        {
            throw new InvalidOperationException($"the items table holds {rows} rows, the data set {data.Count}: load this data folder with peers/pgvector.sh");
        }

        var dataDirectory = (string)(await Scalar(connection, "SHOW data_directory"))!;
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var peer = new PgvectorServerPeer(connectionString, data, version, postmaster);
        await using var explain = new NpgsqlCommand($"EXPLAIN {peer._sql}", connection) { Parameters = { new NpgsqlParameter { Value = peer._queries[0] } } };
        var plan = string.Join('\n', await ReadAllAsync(explain));
        if (!plan.Contains("items_embedding_hnsw", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the planner does not use the HNSW index for the query:\n{plan}");
        }

        await log.WriteLineAsync($"# pgvector {version}: {rows} rows, plan uses items_embedding_hnsw; postmaster {postmaster}");
        return peer;
    }

    public async ValueTask UseEfAsync(int ef)
    {
        if (ef > PgvectorMaxEf)
        {
            throw new ArgumentOutOfRangeException(nameof(ef), ef, $"pgvector accepts hnsw.ef_search up to {PgvectorMaxEf}");
        }

        if (_source is not null)
        {
            await _source.DisposeAsync();
        }

        _source = Open(_connectionString, 128, ef);
    }

    public async Task<long[]> SearchAsync(int q)
    {
        var source = _source ?? throw new InvalidOperationException("UseEfAsync first");
        await using var command = source.CreateCommand(_sql);
        command.Parameters.Add(new NpgsqlParameter { Value = _queries[q] });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<long>(_data.K);
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetInt32(0));
        }

        return [.. rows];
    }

    public async ValueTask DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.DisposeAsync();
        }
    }

    private static NpgsqlDataSource Open(string connectionString, int poolSize, int ef)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Options = $"-c hnsw.ef_search={ef.ToString(CultureInfo.InvariantCulture)}",
            MaxAutoPrepare = 4,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
            MaxPoolSize = poolSize,
        };
        var sourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        sourceBuilder.UseVector();
        return sourceBuilder.Build();
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}

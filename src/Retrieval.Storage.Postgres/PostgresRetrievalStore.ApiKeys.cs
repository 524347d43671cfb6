using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>API keys (salted hashes only).</summary>
public sealed partial class PostgresRetrievalStore : IApiKeyStore
{
    private const string ApiKeyColumns = "id, name, scope, collections, salt, hash, created_at, created_by, expires_at, revoked_at";

    public async Task CreateApiKeyAsync(StoredApiKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO api_keys ({ApiKeyColumns})
            VALUES (@id, @name, @scope, @collections, @salt, @hash, @created, @by, @expires, @revoked)
            ON CONFLICT (id) DO NOTHING;
            """);
        command.Parameters.AddWithValue("id", key.Id);
        command.Parameters.AddWithValue("name", key.Name);
        command.Parameters.AddWithValue("scope", (int)key.Scope);
        command.Parameters.AddWithValue("collections", key.Collections.ToArray());
        command.Parameters.AddWithValue("salt", key.Salt);
        command.Parameters.AddWithValue("hash", key.Hash);
        command.Parameters.AddWithValue("created", key.CreatedAt.ToUniversalTime());
        command.Parameters.AddWithValue("by", key.CreatedBy);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("expires", key.ExpiresAt?.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("revoked", key.RevokedAt?.ToUniversalTime()));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw RetrievalException.AlreadyExists($"API key '{key.Id}' already exists");
        }
    }

    public async Task<IReadOnlyList<StoredApiKey>> ListApiKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ApiKeyColumns} FROM api_keys ORDER BY created_at, id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<StoredApiKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new StoredApiKey(
                reader.GetString(0),
                reader.GetString(1),
                (ApiKeyScope)reader.GetInt32(2),
                reader.GetFieldValue<string[]>(3),
                reader.GetFieldValue<byte[]>(4),
                reader.GetFieldValue<byte[]>(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return keys;
    }

    public async Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = LEAST(COALESCE(revoked_at, @at), @at) WHERE id = @id;");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("at", at.ToUniversalTime());
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}

using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Sqlite;

/// <summary>API keys (salted hashes only).</summary>
public sealed partial class SqliteRetrievalStore : IApiKeyStore
{
    private const string ApiKeyColumns = "id, name, scope, collections, salt, hash, created_at, created_by, expires_at, revoked_at";

    public Task CreateApiKeyAsync(StoredApiKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await using var command = Command(connection, transaction, $"""
                    INSERT INTO api_keys ({ApiKeyColumns})
                    VALUES ($id, $name, $scope, $collections, $salt, $hash, $created, $by, $expires, $revoked)
                    ON CONFLICT (id) DO NOTHING;
                    """);
                command.Parameters.AddWithValue("$id", key.Id);
                command.Parameters.AddWithValue("$name", key.Name);
                command.Parameters.AddWithValue("$scope", (int)key.Scope);
                command.Parameters.AddWithValue("$collections", JsonSerializer.Serialize(key.Collections));
                command.Parameters.AddWithValue("$salt", key.Salt);
                command.Parameters.AddWithValue("$hash", key.Hash);
                command.Parameters.AddWithValue("$created", UnixMicroseconds.From(key.CreatedAt));
                command.Parameters.AddWithValue("$by", key.CreatedBy);
                command.Parameters.AddWithValue("$expires", key.ExpiresAt is { } expires ? UnixMicroseconds.From(expires) : DBNull.Value);
                command.Parameters.AddWithValue("$revoked", key.RevokedAt is { } revoked ? UnixMicroseconds.From(revoked) : DBNull.Value);
                if (await command.ExecuteNonQueryAsync(ct) == 0)
                {
                    throw RetrievalException.AlreadyExists($"API key '{key.Id}' already exists");
                }

                return true;
            },
            cancellationToken);
    }

    public async Task<IReadOnlyList<StoredApiKey>> ListApiKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {ApiKeyColumns} FROM api_keys ORDER BY created_at, id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<StoredApiKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new StoredApiKey(
                reader.GetString(0),
                reader.GetString(1),
                (ApiKeyScope)reader.GetInt32(2),
                JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [],
                (byte[])reader.GetValue(4),
                (byte[])reader.GetValue(5),
                UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(6)),
                reader.GetString(7),
                reader.IsDBNull(8) ? null : UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : UnixMicroseconds.ToDateTimeOffset(reader.GetInt64(9))));
        }

        return keys;
    }

    public Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteTransactionAsync(
            async (connection, transaction, ct) =>
            {
                await using var command = Command(connection, transaction, """
                    UPDATE api_keys SET revoked_at = MIN(COALESCE(revoked_at, $at), $at) WHERE id = $id;
                    """);
                command.Parameters.AddWithValue("$id", id);
                command.Parameters.AddWithValue("$at", UnixMicroseconds.From(at));
                return await command.ExecuteNonQueryAsync(ct) > 0;
            },
            cancellationToken);
}

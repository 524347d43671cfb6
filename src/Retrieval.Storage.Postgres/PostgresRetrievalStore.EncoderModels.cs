using Npgsql;
using NpgsqlTypes;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>
/// Encoder models in the database (schema upgrade 13): one row per (name, version) with the registry's metadata, the model
/// and its tokenizer file. Inserting or deleting a row moves the catalog version and notifies <c>retrieval_catalog</c>
/// (the trigger of upgrade 11), so the other nodes of a cluster read the list again.
/// </summary>
public sealed partial class PostgresRetrievalStore : IEncoderModelStore
{
    public async Task SaveEncoderModelAsync(StoredEncoderModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO encoder_models (name, version, info, model, model_sha256, tokenizer, tokenizer_sha256, registered_at)
            VALUES (@name, @version, @info, @model, @model_sha256, @tokenizer, @tokenizer_sha256, now())
            ON CONFLICT (name, version) DO NOTHING;
            """);
        command.Parameters.AddWithValue("name", model.Name);
        command.Parameters.AddWithValue("version", model.Version);
        command.Parameters.AddWithValue("info", model.InfoJson);
        command.Parameters.AddWithValue("model", model.Model);
        command.Parameters.AddWithValue("model_sha256", model.ModelSha256);
        command.Parameters.Add(new NpgsqlParameter<byte[]?>("tokenizer", NpgsqlDbType.Bytea) { TypedValue = model.Tokenizer });
        command.Parameters.Add(new NpgsqlParameter<string?>("tokenizer_sha256", NpgsqlDbType.Text) { TypedValue = model.TokenizerSha256 });
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw RetrievalException.AlreadyExists($"encoder {model.Name}/{model.Version} already exists");
        }
    }

    public async Task<IReadOnlyList<StoredEncoderEntry>> ListEncoderModelsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT name, version, info FROM encoder_models ORDER BY name, version;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<StoredEncoderEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new StoredEncoderEntry(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return entries;
    }

    public async Task<StoredEncoderModel?> GetEncoderModelAsync(string name, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(version);
        await using var command = dataSource.CreateCommand("""
            SELECT info, model, model_sha256, tokenizer, tokenizer_sha256 FROM encoder_models WHERE name = @name AND version = @version;
            """);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredEncoderModel(
            name,
            version,
            reader.GetString(0),
            reader.GetFieldValue<byte[]>(1),
            reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
            reader.IsDBNull(4) ? null : reader.GetString(4));
    }

    public async Task<bool> DeleteEncoderModelAsync(string name, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(version);
        await using var command = dataSource.CreateCommand("DELETE FROM encoder_models WHERE name = @name AND version = @version;");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("version", version);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}

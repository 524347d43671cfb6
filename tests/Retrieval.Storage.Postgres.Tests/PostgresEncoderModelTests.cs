using Npgsql;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>
/// Encoder models in PostgreSQL (<see cref="IEncoderModelStore"/>): kept whole with their checksums, listed without their
/// files, a second registration of a version refused, and every registration or deletion moves the catalog version that
/// the other nodes of a cluster follow.
/// </summary>
public sealed class PostgresEncoderModelTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [PostgresFact]
    public async Task Save_List_Get_Delete_EachMovingTheCatalogVersion()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await PostgresSchema.UpgradeAsync(database.ConnectionString, Ct);
        await using var store = new PostgresRetrievalStore(database.ConnectionString);
        var model = new StoredEncoderModel("words", "1", """{"a":1}""", [1, 2, 3, 4], "aa", [5, 6], "bb");
        var bare = new StoredEncoderModel("pixels", "2", """{"b":2}""", [9], "cc", null, null);

        var before = await CatalogVersionAsync(database.ConnectionString);
        await store.SaveEncoderModelAsync(model, Ct);
        var afterSave = await CatalogVersionAsync(database.ConnectionString);
        await store.SaveEncoderModelAsync(bare, Ct);

        Assert.True(afterSave > before);
        var again = await Assert.ThrowsAsync<RetrievalException>(() => store.SaveEncoderModelAsync(model with { InfoJson = "{}" }, Ct));
        Assert.Equal(ErrorKind.AlreadyExists, again.Kind);
        Assert.Equal(
            [new StoredEncoderEntry("pixels", "2", """{"b":2}"""), new StoredEncoderEntry("words", "1", """{"a":1}""")],
            await store.ListEncoderModelsAsync(Ct));
        var read = await store.GetEncoderModelAsync("words", "1", Ct);
        Assert.NotNull(read);
        Assert.Equal((model.InfoJson, model.ModelSha256, model.TokenizerSha256), (read.InfoJson, read.ModelSha256, read.TokenizerSha256));
        Assert.Equal(model.Model, read.Model);
        Assert.Equal(model.Tokenizer, read.Tokenizer);
        var readBare = await store.GetEncoderModelAsync("pixels", "2", Ct);
        Assert.Null(readBare!.Tokenizer);
        Assert.Null(readBare.TokenizerSha256);
        Assert.Null(await store.GetEncoderModelAsync("words", "2", Ct));

        var beforeDelete = await CatalogVersionAsync(database.ConnectionString);
        Assert.True(await store.DeleteEncoderModelAsync("words", "1", Ct));
        Assert.True(await CatalogVersionAsync(database.ConnectionString) > beforeDelete);
        Assert.False(await store.DeleteEncoderModelAsync("words", "1", Ct));
        Assert.Equal(["pixels"], (await store.ListEncoderModelsAsync(Ct)).Select(e => e.Name));
    }

    private static async Task<long> CatalogVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM catalog_version;", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Registry;

namespace Retrieval.Encoders.Onnx.Tests.Registry;

/// <summary>
/// Registered encoders kept in the store of record: the metadata comes back as registered, the files with their checksums,
/// and a copy damaged in the store is reported UNAVAILABLE rather than run.
/// </summary>
public sealed class SharedEncoderStoreTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task SavedVersion_ListsAndLoadsBack_AndADamagedCopyIsUnavailable()
    {
        var models = new InMemoryModels();
        var store = new SharedEncoderStore(models);
        var descriptor = new EncoderDescriptor { Name = "words", Version = "1", Dimension = 6, InputKind = EncoderInputKind.Text, OutputName = "last_hidden_state" };
        var info = new EncoderInfo(descriptor, "ab", 4, new DateTimeOffset(2026, 12, 7, 20, 0, 0, TimeSpan.Zero));
        await store.SaveAsync(info, new EncoderPackage(descriptor, [1, 2, 3, 4], [7, 8]), Ct);

        var listed = Assert.Single(await store.ReadAllAsync(Ct));
        Assert.Null(listed.Error);
        Assert.Equal((info.ModelSha256, info.ModelBytes, info.RegisteredAt), (listed.Info!.ModelSha256, listed.Info.ModelBytes, listed.Info.RegisteredAt));
        Assert.Equal(("words", "1", 6), (listed.Info.Descriptor.Name, listed.Info.Descriptor.Version, listed.Info.Descriptor.Dimension));
        var (model, vocabulary) = await store.LoadAsync("words", "1", Ct);
        Assert.Equal([1, 2, 3, 4], model);
        Assert.Equal([7, 8], vocabulary);
        Assert.True(store.SharedByNodes);

        models.Kept["words/1"].Model[0] ^= 0xFF;
        var damaged = await Assert.ThrowsAsync<RetrievalException>(() => store.LoadAsync("words", "1", Ct));
        Assert.Equal(ErrorKind.Unavailable, damaged.Kind);
        Assert.Contains("checksum", damaged.Message, StringComparison.Ordinal);
        models.Kept["words/1"].Model[0] ^= 0xFF;
        models.Kept["words/1"].Tokenizer![1] ^= 0xFF;
        Assert.Equal(ErrorKind.Unavailable, (await Assert.ThrowsAsync<RetrievalException>(() => store.LoadAsync("words", "1", Ct))).Kind);

        await store.DeleteAsync("words", "1", Ct);
        Assert.Empty(await store.ReadAllAsync(Ct));
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<RetrievalException>(() => store.LoadAsync("words", "1", Ct))).Kind);
    }

    [Fact]
    public async Task UnreadableMetadata_IsListedWithItsError()
    {
        var models = new InMemoryModels();
        await models.SaveEncoderModelAsync(new StoredEncoderModel("bad", "1", "{not json", [1], "00", null, null), Ct);

        var listed = Assert.Single(await new SharedEncoderStore(models).ReadAllAsync(Ct));

        Assert.Null(listed.Info);
        Assert.NotNull(listed.Error);
        Assert.Contains("bad/1", listed.Where, StringComparison.Ordinal);
    }

    private sealed class InMemoryModels : IEncoderModelStore
    {
        public Dictionary<string, StoredEncoderModel> Kept { get; } = new(StringComparer.Ordinal);

        public Task SaveEncoderModelAsync(StoredEncoderModel model, CancellationToken cancellationToken) =>
            Kept.TryAdd($"{model.Name}/{model.Version}", model)
                ? Task.CompletedTask
                : throw RetrievalException.AlreadyExists($"encoder {model.Name}/{model.Version} already exists");

        public Task<IReadOnlyList<StoredEncoderEntry>> ListEncoderModelsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<StoredEncoderEntry>>([.. Kept.Values.Select(m => new StoredEncoderEntry(m.Name, m.Version, m.InfoJson))]);

        public Task<StoredEncoderModel?> GetEncoderModelAsync(string name, string version, CancellationToken cancellationToken) =>
            Task.FromResult(Kept.GetValueOrDefault($"{name}/{version}"));

        public Task<bool> DeleteEncoderModelAsync(string name, string version, CancellationToken cancellationToken) =>
            Task.FromResult(Kept.Remove($"{name}/{version}"));
    }
}

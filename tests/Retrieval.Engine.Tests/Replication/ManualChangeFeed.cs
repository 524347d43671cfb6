using System.Threading.Channels;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Tests.Replication;

/// <summary>
/// A change feed over any store for tests: versions computed from what the store holds, and notices only when the test
/// sends them (so duplicates, late ones and missing ones are the test's to choose).
/// </summary>
internal sealed class ManualChangeFeed(IRetrievalStore store) : IStoreChangeFeed
{
    private readonly Channel<StoreChangeNotice> _notices = Channel.CreateUnbounded<StoreChangeNotice>();

    public void Send(StoreChangeNotice notice) => _notices.Writer.TryWrite(notice);

    public async Task<StoreVersions> ReadVersionsAsync(CancellationToken cancellationToken)
    {
        var definitions = await store.ListCollectionsAsync(cancellationToken);
        var aliases = await store.ListAliasesAsync(cancellationToken);
        var collections = new Dictionary<string, CollectionVersions>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            var maps = await store.ListMapsAsync(definition.Name, cancellationToken);
            var migrations = await store.ListMigrationsAsync(definition.Name, cancellationToken);
            var catalog = string.Join("|", [
                definition.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                .. maps.Select(m => $"{m.Id}:{m.State}:{m.UpdatedAt.UtcTicks}"),
                .. migrations.Select(m => $"{m.Id}:{m.Phase}:{m.UpdatedAt.UtcTicks}")]);
            collections[definition.Name] = new CollectionVersions(
                definition.CreatedAt.UtcTicks, StableHash(catalog), await store.GetLastSequenceAsync(definition.Name, cancellationToken));
        }

        var names = string.Join("|", [.. definitions.Select(d => d.Name), .. aliases.Select(a => $"{a.Alias}>{a.Collection}")]);
        return new StoreVersions(StableHash(names), collections);
    }

    public async Task ListenAsync(Action listening, Action<StoreChangeNotice> notice, CancellationToken cancellationToken)
    {
        listening();
        await foreach (var sent in _notices.Reader.ReadAllAsync(cancellationToken))
        {
            notice(sent);
        }
    }

    public ValueTask DisposeAsync() => store.DisposeAsync();

    private static long StableHash(string text) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}

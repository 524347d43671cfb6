using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Storage;
using Retrieval.Storage.Sqlite;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Writes;

/// <summary>
/// A batch whose commit outcome the store could not tell (<see cref="StoreWriteOutcome.Unknown"/>: the connection was lost
/// after it was sent) is refused to its client, and settled against the store before the next write to the collection:
/// applied when it had committed, dropped when not, so that the indexes follow the store. While the store cannot be read,
/// the next batch is refused as not committed and nothing is sent.
/// </summary>
public sealed class UncertainCommitTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
    private readonly FaultyStore _faults;
    private readonly RetrievalEngine _engine;

    public UncertainCommitTests()
    {
        _faults = FaultyStore.Over(new SqliteRetrievalStore(_directory));
        _engine = new RetrievalEngine((IRetrievalStore)(object)_faults, new EngineOptions(), NullLogger<RetrievalEngine>.Instance);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NextWrite_AfterAnUnknownOutcome_FollowsWhatTheStoreCommitted(bool committed)
    {
        await StartWithOneItemAsync();
        _faults.NextWrite = committed ? Fault.CommitThenLoseConnection : Fault.LoseConnection;

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => _engine.UpsertAsync("c", [Item("uncertain", "v1", [0, 1])], CancellationToken.None));
        Assert.Equal(StoreWriteOutcome.Unknown, error.Outcome);
        Assert.Empty(_engine.GetItems("c", ["uncertain"], withVectors: false));

        var next = await _engine.UpsertAsync("c", [Item("next", "v1", [1, 1])], CancellationToken.None);

        string[] expected = committed ? ["first", "next", "uncertain"] : ["first", "next"];
        Assert.Equal(committed ? 3 : 2, next.Sequence);
        Assert.Equal(expected, LiveIds());
        Assert.Equal(expected, await StoredIdsAsync());
        if (committed)
        {
            Assert.Equal([0f, 1f], _engine.GetItems("c", ["uncertain"], withVectors: true).Single().Vectors!["v1"]);
        }
    }

    [Fact]
    public async Task NextWrite_WhileTheStoreCannotBeRead_IsRefusedAsNotCommitted_AndSettlesLater()
    {
        await StartWithOneItemAsync();
        _faults.NextWrite = Fault.CommitThenLoseConnection;
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _engine.UpsertAsync("c", [Item("uncertain", "v1", [0, 1])], CancellationToken.None));
        _faults.ReadsFail = true;

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => _engine.UpsertAsync("c", [Item("refused", "v1", [1, 1])], CancellationToken.None));
        Assert.Equal(StoreWriteOutcome.NotCommitted, refused.Outcome);
        Assert.Equal(2, _faults.Writes);

        _faults.ReadsFail = false;
        await _engine.DeleteAsync("c", ["uncertain"], CancellationToken.None);
        Assert.Equal(["first"], LiveIds());
        Assert.Equal(["first"], await StoredIdsAsync());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task StartWithOneItemAsync()
    {
        await _engine.StartAsync(CancellationToken.None);
        await _engine.CreateCollectionAsync("c", [Space("v1", 2)], null, CancellationToken.None);
        await _engine.UpsertAsync("c", [Item("first", "v1", [1, 0])], CancellationToken.None);
    }

    private List<string> LiveIds() => [.. _engine.GetItems("c", ["first", "uncertain", "next", "refused"], withVectors: false).Select(i => i.Id).Order(StringComparer.Ordinal)];

    private async Task<List<string>> StoredIdsAsync() =>
        [.. (await _faults.Inner.GetItemsAsync("c", ["first", "uncertain", "next", "refused"], CancellationToken.None)).Select(i => i.Id).Order(StringComparer.Ordinal)];

    internal enum Fault
    {
        None,
        LoseConnection,
        CommitThenLoseConnection,
    }

    /// <summary>The SQLite store with the failures of a lost connection injected into writes and sequence reads.</summary>
    public class FaultyStore : DispatchProxy
    {
        public IRetrievalStore Inner { get; private set; } = null!;

        internal Fault NextWrite { get; set; }

        internal bool ReadsFail { get; set; }

        /// <summary>Batches that reached the real store.</summary>
        internal int Writes { get; private set; }

        public static FaultyStore Over(IRetrievalStore inner)
        {
            var proxy = (FaultyStore)(object)Create<IRetrievalStore, FaultyStore>();
            proxy.Inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            switch (targetMethod.Name)
            {
                case nameof(IItemStore.WriteAsync):
                    return WriteAsync((string)args![0]!, (WriteBatch)args[1]!);
                case nameof(IItemStore.GetLastSequenceAsync) or nameof(IItemStore.ReadChangesAsync) when ReadsFail:
                    throw new StoreUnavailableException("injected: connection refused", StoreWriteOutcome.NotCommitted, new IOException("connection refused"));
                default:
                    try
                    {
                        return targetMethod.Invoke(Inner, args);
                    }
                    catch (TargetInvocationException e) when (e.InnerException is not null)
                    {
                        throw e.InnerException;
                    }
            }
        }

        private async Task<long> WriteAsync(string collection, WriteBatch batch)
        {
            var fault = NextWrite;
            NextWrite = Fault.None;
            if (fault == Fault.LoseConnection)
            {
                throw new StoreUnavailableException("injected: connection lost before the commit", StoreWriteOutcome.Unknown, new IOException("connection reset"));
            }

            var sequence = await Inner.WriteAsync(collection, batch, CancellationToken.None);
            Writes++;
            return fault == Fault.CommitThenLoseConnection
                ? throw new StoreUnavailableException("injected: connection lost after the commit", StoreWriteOutcome.Unknown, new IOException("connection reset"))
                : sequence;
        }
    }
}

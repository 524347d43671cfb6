using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine.Writes;
using Retrieval.Storage.Sqlite;
using static Retrieval.Engine.Tests.EngineHarness;

namespace Retrieval.Engine.Tests.Writes;

/// <summary>
/// Group commit: batches that queue while a commit is in flight share the next store transaction, each atomic, under its
/// own sequence and acknowledged after that commit; a batch that fails does not fail or drop its neighbours. The store
/// holds its first write until the test has queued the others, so the groups are deterministic.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "retrieval-engine-tests", Guid.NewGuid().ToString("N"));
    private readonly HeldStore _store;
    private readonly RetrievalEngine _engine;

    public GroupCommitTests()
    {
        _store = HeldStore.Over(new SqliteRetrievalStore(_directory));
        _engine = new RetrievalEngine((IRetrievalStore)(object)_store, new EngineOptions { GroupCommit = new GroupCommitOptions { MaxBatches = 64 } }, NullLogger<RetrievalEngine>.Instance);
    }

    [Fact]
    public async Task BatchesQueuedDuringACommit_ShareTheNextTransaction_EachUnderItsOwnSequence()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var queued = new[] { Upsert("b0", "b1"), Upsert("c0"), Upsert("d0", "d1", "d2") };
        await HeldStore.SettleAsync();
        _store.Release();

        Assert.Equal(new WriteResult(1, 1), await first);
        var results = await Task.WhenAll(queued);
        Assert.Equal([new WriteResult(2, 2), new WriteResult(1, 3), new WriteResult(3, 4)], results);
        Assert.Equal([1, 3], _store.Groups);
        Assert.Equal(["a0", "b0", "b1", "c0", "d0", "d1", "d2"], LiveIds());
        var changes = await StoredChangesAsync();
        Assert.Equal([("a0", 1L), ("b0", 2L), ("b1", 2L), ("c0", 3L), ("d0", 4L), ("d1", 4L), ("d2", 4L)], changes);
    }

    [Fact]
    public async Task InvalidBatchInAGroup_FailsAlone_AndItsNeighboursCommit()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var good = Upsert("b0");
        var bad = _engine.UpsertAsync("c", [Item("x0", "v1", [1, 2, 3])], CancellationToken.None);
        var alsoGood = Upsert("d0");
        await HeldStore.SettleAsync();
        _store.Release();
        await first;

        var error = await Assert.ThrowsAsync<RetrievalException>(() => bad);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal([new WriteResult(1, 2), new WriteResult(1, 3)], await Task.WhenAll(good, alsoGood));
        Assert.Equal([1, 2], _store.Groups);
        Assert.Equal(["a0", "b0", "d0"], LiveIds());
    }

    [Fact]
    public async Task GroupTheStoreRefuses_IsCommittedBatchByBatch_SoOnlyTheRefusedOneFails()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var good = Upsert("b0");
        var poisoned = Upsert("poison");
        var alsoGood = Upsert("d0");
        await HeldStore.SettleAsync();
        _store.Release();
        await first;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => poisoned);
        Assert.Contains("injected refusal", error.Message, StringComparison.Ordinal);
        var results = await Task.WhenAll(good, alsoGood);
        Assert.Equal([2L, 3L], results.Select(r => r.Sequence));
        // The group of three was refused whole; then each alone: b0, poison (refused again), d0.
        Assert.Equal([1, 3, 1, 1, 1], _store.Groups);
        Assert.Equal(["a0", "b0", "d0"], LiveIds());
        Assert.Equal(["a0", "b0", "d0"], (await StoredChangesAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task GroupWithAnUnknownOutcome_FailsEachAsUnknown_AndTheNextWriteAppliesAllOfIt()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var queued = new[] { Upsert("b0"), Upsert("c0") };
        await HeldStore.SettleAsync();
        _store.LoseConnectionAfterNextGroupCommit = true;
        _store.Release();
        await first;

        foreach (var write in queued)
        {
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => write);
            Assert.Equal(StoreWriteOutcome.Unknown, error.Outcome);
        }

        Assert.Equal(["a0"], LiveIds());
        Assert.Equal(new WriteResult(1, 4), await Upsert("e0"));
        Assert.Equal(["a0", "b0", "c0", "e0"], LiveIds());
    }

    [Fact]
    public async Task StreamBatchAfterAFailedOne_IsNotWritten_WhileOtherWritersCommit()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var chain = new WriteChain();
        var streamGood = _engine.UpsertAsync("c", [Item("s0", "v1", [1, 0])], chain, CancellationToken.None);
        var streamBad = _engine.UpsertAsync("c", [Item("s1", "v1", [1, 0, 0])], chain, CancellationToken.None);
        var streamAfter = _engine.UpsertAsync("c", [Item("s2", "v1", [1, 0])], chain, CancellationToken.None);
        var other = Upsert("o0");
        await HeldStore.SettleAsync();
        _store.Release();
        await first;

        Assert.Equal(2, (await streamGood).Sequence);
        Assert.Equal(ErrorKind.InvalidArgument, (await Assert.ThrowsAsync<RetrievalException>(() => streamBad)).Kind);
        Assert.Equal(ErrorKind.Aborted, (await Assert.ThrowsAsync<RetrievalException>(() => streamAfter)).Kind);
        Assert.Equal(3, (await other).Sequence);
        Assert.Equal([1, 2], _store.Groups);
        Assert.Equal(["a0", "o0", "s0"], LiveIds());
    }

    [Fact]
    public async Task DeleteQueuedAfterAnUpsert_LeadsTheNextGroup_AndFindsTheUpsertedItem()
    {
        await StartAsync();
        var first = await HoldFirstWriteAsync(() => Upsert("a0"));

        var upsert = Upsert("b0");
        var delete = _engine.DeleteAsync("c", ["b0", "a0"], CancellationToken.None);
        var after = Upsert("c0");
        await HeldStore.SettleAsync();
        _store.Release();
        await first;

        Assert.Equal(2, (await upsert).Sequence);
        Assert.Equal(new WriteResult(2, 3), await delete);
        Assert.Equal(4, (await after).Sequence);
        Assert.Equal([1, 1, 2], _store.Groups);
        Assert.Equal(["c0"], LiveIds());
    }

    [Fact]
    public async Task EveryBatchOfAGroup_IsStampedWithItsShards_InItemsAndTombstones()
    {
        await StartAsync();
        const int shards = 4;
        await _engine.CreateCollectionAsync("s", [Space("v1", 2)], null, storeInputs: false, shards, CancellationToken.None);
        Task<WriteResult> UpsertSharded(params string[] ids) =>
            _engine.UpsertAsync("s", [.. ids.Select((id, i) => Item(id, "v1", [1, i]))], CancellationToken.None);
        var first = await HoldFirstWriteAsync(() => UpsertSharded("a0", "a1", "a2"));

        var queued = new List<Task<WriteResult>>
        {
            UpsertSharded("b0", "b1", "b2", "b3"),
            UpsertSharded("c0", "c1", "c2"),
            _engine.DeleteAsync("s", ["a0", "b1", "c2"], CancellationToken.None),
            UpsertSharded("d0", "d1", "d2", "d3"),
        };
        await HeldStore.SettleAsync();
        _store.Release();
        await first;
        await Task.WhenAll(queued);

        Assert.Equal([1, 2, 2], _store.Groups);
        var changes = new List<(string Id, bool IsDelete, int Shard)>();
        await foreach (var change in _store.Inner.ReadChangesAsync("s", 0, CancellationToken.None))
        {
            changes.Add((change.Id, change.IsDelete, change.Shard));
        }

        Assert.Equal(["a0", "b1", "c2"], changes.Where(c => c.IsDelete).Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal(11, changes.Count(c => !c.IsDelete));
        // Spread over more than one shard, so that a batch written without its shards (all shard 0) would show.
        Assert.True(changes.Select(c => c.Shard).Distinct().Count() > 1);
        Assert.All(changes, c => Assert.Equal(Core.Model.ShardAssignment.ShardOf(c.Id, shards), c.Shard));
    }

    [Fact]
    public async Task ConcurrentStreams_WithBatchesInFlight_AllCommit_InEachStreamsOrder()
    {
        await StartAsync();
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            var chain = new WriteChain();
            var inFlight = new List<Task<WriteResult>>();
            for (var batch = 0; batch < 25; batch++)
            {
                inFlight.Add(_engine.UpsertAsync("c", [.. Enumerable.Range(0, 20).Select(i => Item($"s{stream}-{batch}-{i}", "v1", [1, i]))], chain, CancellationToken.None));
                if (inFlight.Count >= 4)
                {
                    await inFlight[^4];
                }
            }

            return await Task.WhenAll(inFlight);
        })).ToList();

        var results = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60));

        foreach (var stream in results)
        {
            Assert.Equal(stream.Select(r => r.Sequence).Order(), stream.Select(r => r.Sequence));
        }

        Assert.Equal(100, results.SelectMany(r => r).Select(r => r.Sequence).Distinct().Count());
        Assert.Equal(2000, _engine.Count("c", null));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _store.Release();
        await _engine.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task StartAsync()
    {
        await _engine.StartAsync(CancellationToken.None);
        await _engine.CreateCollectionAsync("c", [Space("v1", 2)], null, CancellationToken.None);
    }

    /// <summary>Starts a write that the store holds (before committing it) until <see cref="HeldStore.Release"/>.</summary>
    private async Task<Task<WriteResult>> HoldFirstWriteAsync(Func<Task<WriteResult>> write)
    {
        _store.HoldNextWrite();
        var held = write();
        await _store.Holding.WaitAsync(TimeSpan.FromSeconds(10));
        return held;
    }

    private Task<WriteResult> Upsert(params string[] ids) =>
        _engine.UpsertAsync("c", [.. ids.Select((id, i) => Item(id, "v1", [1, i]))], CancellationToken.None);

    private List<string> LiveIds() =>
        [.. _engine.Scroll("c", null, 100, null, withVectors: false).Items.Select(i => i.Id).Order(StringComparer.Ordinal)];

    private async Task<List<(string Id, long Sequence)>> StoredChangesAsync()
    {
        var changes = new List<(string, long)>();
        await foreach (var change in _store.Inner.ReadChangesAsync("c", 0, CancellationToken.None))
        {
            if (!change.IsDelete)
            {
                changes.Add((change.Id, change.Sequence));
            }
        }

        return changes;
    }

    /// <summary>
    /// The SQLite store with a hold on the next write (so that others queue behind it), a refusal of any write that
    /// carries the id "poison" (nothing written), and a lost connection after a commit, injected.
    /// </summary>
    public class HeldStore : DispatchProxy
    {
        private TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public IRetrievalStore Inner { get; private set; } = null!;

        /// <summary>The number of batches of each write that reached the store, in order.</summary>
        internal List<int> Groups { get; } = [];

        internal bool LoseConnectionAfterNextGroupCommit { get; set; }

        internal Task Holding => _holding.Task;

        public static HeldStore Over(IRetrievalStore inner)
        {
            var proxy = (HeldStore)(object)Create<IRetrievalStore, HeldStore>();
            proxy.Inner = inner;
            return proxy;
        }

        internal void HoldNextWrite()
        {
            _holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _armed = 1;
        }

        internal void Release() => _release.TrySetResult();

        /// <summary>
        /// Lets the writes just started reach the commit queue. Without raw inputs to encode they queue synchronously
        /// on submission, so this is a margin only; a write that queued late would show in the group sizes asserted.
        /// </summary>
        internal static Task SettleAsync() => Task.Delay(200);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            switch (targetMethod.Name)
            {
                case nameof(IItemStore.WriteAsync):
                    return WriteOneAsync((string)args![0]!, (WriteBatch)args[1]!);
                case nameof(IItemStore.WriteGroupAsync):
                    return WriteAsync((string)args![0]!, (IReadOnlyList<WriteBatch>)args[1]!);
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

        private async Task<long> WriteOneAsync(string collection, WriteBatch batch) => (await WriteAsync(collection, [batch]))[0];

        private async Task<IReadOnlyList<long>> WriteAsync(string collection, IReadOnlyList<WriteBatch> batches)
        {
            lock (Groups)
            {
                Groups.Add(batches.Count);
            }

            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _holding.TrySetResult();
                await _release.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }

            if (batches.Any(b => b.Upserts.Any(u => u.Id == "poison")))
            {
                throw new InvalidOperationException("injected refusal");
            }

            var sequences = await Inner.WriteGroupAsync(collection, batches, CancellationToken.None);
            if (batches.Count > 1 && LoseConnectionAfterNextGroupCommit)
            {
                LoseConnectionAfterNextGroupCommit = false;
                throw new StoreUnavailableException("injected: connection lost after the commit", StoreWriteOutcome.Unknown, new IOException("connection reset"));
            }

            return sequences;
        }
    }
}

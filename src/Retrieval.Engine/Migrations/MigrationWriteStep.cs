using Retrieval.Core.Storage;
using Retrieval.Engine.Encoders;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The write path's migration step, in one place. While a migration keeps both spaces (active → cut over) every item
/// must end with an old and a new vector; <see cref="MigrationWriteRule"/> says how. Around the rule, this step does
/// the encoder branch: a write that carries an old-space vector but no new one gets its new vector from the new space's
/// encoder when a raw input describes the item (the old-space input in the write itself, or, when the write repeats the
/// item's current old vector, the input stored for it). The input is added as the new space's input before encoding
/// (so it shares the batch's encoder calls and the encoder check at commit), and the write then carries both vectors:
/// native, nothing derived.
/// </summary>
internal sealed class MigrationWriteStep
{
    private readonly IRawInputStore _store;
    private readonly IMigrationStore _migrations;
    private readonly bool _encodersAvailable;
    private readonly int _maxBatchItems;

    public MigrationWriteStep(IRawInputStore store, IMigrationStore migrations, bool encodersAvailable, int maxBatchItems)
    {
        _store = store;
        _migrations = migrations;
        _encodersAvailable = encodersAvailable;
        _maxBatchItems = maxBatchItems;
    }

    /// <summary>Items of a batch given a new-space input by <see cref="AddInputsAsync"/>; null when none was.</summary>
    public sealed record MigrationInputs(string MigrationId, string FromSpace, string ToSpace, IReadOnlyDictionary<int, RawInput> Stored, IReadOnlySet<int> Added);

    /// <summary>
    /// Before encoding, outside the write gate: adds the new space's input to each write that carries only an old vector
    /// (or old input) when the open migration's new space has an encoder and an input for the item is known.
    /// </summary>
    public async Task<(IReadOnlyList<ItemWrite> Items, MigrationInputs? Added)> AddInputsAsync(
        CollectionState state, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var definition = state.Definition;
        if (!_encodersAvailable || state.Migration is not { } migration || !MigrationPhaseRules.KeepsBothSpaces(migration.Phase)
            || definition.FindSpace(migration.Row.ToSpace) is not { Encoder: not null, IsMulti: false })
        {
            return (items, null);
        }

        var (from, to) = (migration.Row.FromSpace, migration.Row.ToSpace);
        var result = items.ToArray();
        var added = new HashSet<int>();
        var candidates = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var inputs = item.RawInputs ?? EncoderBinding.NoInputs;
            if (item.Vectors.ContainsKey(to) || inputs.ContainsKey(to) || item.MultiVectors?.ContainsKey(to) == true)
            {
                continue;
            }

            if (inputs.TryGetValue(from, out var input))
            {
                result[i] = item with { RawInputs = new Dictionary<string, RawInput>(inputs, StringComparer.Ordinal) { [to] = input } };
                added.Add(i);
            }
            else if (definition.StoreInputs && item.Vectors.ContainsKey(from))
            {
                candidates.Add(i);
            }
        }

        var stored = new Dictionary<int, RawInput>();
        if (candidates.Count > 0 && candidates.Count <= _maxBatchItems)
        {
            var found = await _store.GetRawInputsAsync(definition.Name, candidates.ConvertAll(i => items[i].Id), from, cancellationToken);
            var byId = found.ToDictionary(r => r.ItemId, r => r.Input, StringComparer.Ordinal);
            foreach (var i in candidates)
            {
                if (byId.TryGetValue(items[i].Id, out var input))
                {
                    var inputs = items[i].RawInputs ?? EncoderBinding.NoInputs;
                    result[i] = items[i] with { RawInputs = new Dictionary<string, RawInput>(inputs, StringComparer.Ordinal) { [to] = input } };
                    stored[i] = input;
                    added.Add(i);
                }
            }
        }

        return added.Count == 0 ? (items, null) : (result, new MigrationInputs(migration.Row.Id, from, to, stored, added));
    }

    /// <summary>
    /// Under the write gate, on the validated batch: keeps the encoded new vectors only while the same migration still
    /// keeps both spaces, and a stored input only while the item still holds the old vector the write repeats (the input
    /// then still describes it, and is kept for the old space too). Anything else falls back to the write rule's inverse map.
    /// </summary>
    public static List<ItemWrite> SettleInputs(CollectionState state, List<ItemWrite> validated, MigrationInputs? added)
    {
        if (added is null)
        {
            return validated;
        }

        var same = state.Migration is { } migration && migration.Row.Id == added.MigrationId && MigrationPhaseRules.KeepsBothSpaces(migration.Phase);
        var settled = new List<ItemWrite>(validated.Count);
        var encoded = 0L;
        for (var i = 0; i < validated.Count; i++)
        {
            var write = validated[i];
            if (added.Added.Contains(i))
            {
                var keep = same && (!added.Stored.ContainsKey(i) || state.Read(s => HoldsOldVector(s, added.FromSpace, write)));
                write = keep ? KeepStoredInput(write, added, i) : WithoutSpace(write, added.ToSpace);
                encoded += keep ? 1 : 0;
            }

            settled.Add(write);
        }

        if (state.Migration is { } open)
        {
            MigrationMetrics.EncodedOnWrite(state.Definition.Name, open.Row.Id, encoded);
        }

        return settled;
    }

    private static bool HoldsOldVector(CollectionState state, string fromSpace, ItemWrite write)
    {
        if (!state.TryFind(write.Id, out var shard, out var slot))
        {
            return false;
        }

        var old = shard.GetSpace(fromSpace);
        return old.Contains(slot) && old.VectorOf(slot).SequenceEqual(write.Vectors[fromSpace]);
    }

    /// <summary>A write with an old vector and a stored input: the input still describes that vector, so it stays stored.</summary>
    private static ItemWrite KeepStoredInput(ItemWrite write, MigrationInputs added, int index) =>
        added.Stored.TryGetValue(index, out var input) && write.RawInputs is { } inputs
            ? write with { RawInputs = new Dictionary<string, RawInput>(inputs, StringComparer.Ordinal) { [added.FromSpace] = input } }
            : write;

    private static ItemWrite WithoutSpace(ItemWrite write, string space) => write with
    {
        Vectors = write.Vectors.Where(v => v.Key != space).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
        RawInputs = write.RawInputs?.Where(v => v.Key != space).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
    };

    /// <summary>
    /// Replaces the open migration's learning by the statistics the store holds now (after another node's batch won their
    /// compare-and-set). Caller holds the write gate.
    /// </summary>
    public async Task ReloadStatisticsAsync(CollectionState state, CancellationToken cancellationToken)
    {
        if (state.Migration is not { } migration)
        {
            return;
        }

        var learning = await OnlineRefitter.LoadLearningAsync(_migrations, migration.Row, cancellationToken);
        state.Write(_ => migration.Learning = learning);
    }

    /// <summary>
    /// Projects new-model vectors into an active (or being re-projected) joint space, then runs the open migration's write
    /// rule over the batch, when the migration keeps both spaces. Caller holds the write gate.
    /// </summary>
    public static WriteBatch WithMarks(CollectionState state, WriteBatch batch, string? clientCheckpoint, string? workerCursor)
    {
        // New-model vectors into the joint space of a two-sided pair first: the write rule then sees them as given.
        batch = JointSpaceProjection.Apply(state, batch);
        if (state.Migration is not { } migration || !MigrationPhaseRules.KeepsBothSpaces(migration.Phase))
        {
            return batch;
        }

        var (writes, marks) = state.Read(s => MigrationWriteRule.Apply(s, migration, batch.Upserts, batch.Deletes, clientCheckpoint, workerCursor));
        return OnlineRefitCollector.Collect(state, migration, batch.Upserts, new WriteBatch(writes, batch.Deletes) { Migration = marks });
    }
}

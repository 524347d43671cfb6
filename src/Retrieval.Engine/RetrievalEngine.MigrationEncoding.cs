using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;
using Retrieval.Engine.State;

namespace Retrieval.Engine;

/// <summary>
/// The encoder branch of the write rule during a migration (see <see cref="MigrationWriteRule"/>): a write that carries
/// an old-space vector but no new one gets its new vector from the new space's encoder when a raw input describes the
/// item: the old-space input in the write itself, or, when the write repeats the item's current old vector, the input
/// stored for it. The input is added as the new space's input before encoding (so it shares the batch's encoder calls
/// and the encoder check at commit), and the write then carries both vectors: native, nothing derived.
/// </summary>
public sealed partial class RetrievalEngine
{
    /// <summary>Items of a batch given a new-space input by <see cref="AddMigrationInputsAsync"/>; null when none was.</summary>
    private sealed record MigrationInputs(string MigrationId, string FromSpace, string ToSpace, IReadOnlyDictionary<int, RawInput> Stored, IReadOnlySet<int> Added);

    /// <summary>
    /// Before encoding, outside the write gate: adds the new space's input to each write that carries only an old vector
    /// (or old input) when the open migration's new space has an encoder and an input for the item is known.
    /// </summary>
    private async Task<(IReadOnlyList<ItemWrite> Items, MigrationInputs? Added)> AddMigrationInputsAsync(
        CollectionState state, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var definition = state.Definition;
        if (_encoders is null || state.Migration is not { } migration || !MigrationPhaseRules.KeepsBothSpaces(migration.Phase)
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
            var inputs = item.RawInputs ?? NoInputs;
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
        if (candidates.Count > 0 && candidates.Count <= _options.MaxBatchItems)
        {
            var found = await _store.GetRawInputsAsync(definition.Name, candidates.ConvertAll(i => items[i].Id), from, cancellationToken);
            var byId = found.ToDictionary(r => r.ItemId, r => r.Input, StringComparer.Ordinal);
            foreach (var i in candidates)
            {
                if (byId.TryGetValue(items[i].Id, out var input))
                {
                    var inputs = items[i].RawInputs ?? NoInputs;
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
    private static List<ItemWrite> SettleMigrationInputs(CollectionState state, List<ItemWrite> validated, MigrationInputs? added)
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
                var keep = same && (!added.Stored.ContainsKey(i) || Read(state, s => HoldsOldVector(s, added.FromSpace, write)));
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
        var old = state.GetSpace(fromSpace);
        return state.Items.TryGetSlot(write.Id, out var slot) && old.Contains(slot) && old.VectorOf(slot).SequenceEqual(write.Vectors[fromSpace]);
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
}

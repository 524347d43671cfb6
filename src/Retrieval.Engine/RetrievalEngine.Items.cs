using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.MultiVector;
using Retrieval.Engine.State;
using Retrieval.Engine.Validation;

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>
    /// Upserts a batch atomically: validated as a whole, committed in one transaction, applied to the indexes,
    /// then acknowledged. Merge semantics are those of <see cref="ItemWrite"/>.
    /// </summary>
    /// <remarks>
    /// Items may carry raw inputs (<see cref="ItemWrite.RawInputs"/>) in place of vectors for spaces that name an
    /// encoder: they are encoded first, outside the write gate, so slow models never hold up other writers.
    /// </remarks>
    public async Task<WriteResult> UpsertAsync(string collection, IReadOnlyList<ItemWrite> items, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        var (withMigrationInputs, migrationInputs) = await AddMigrationInputsAsync(state, items, cancellationToken);
        var (encoded, encodersUsed) = await EncodeInputsAsync(state, withMigrationInputs, cancellationToken);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            EnsureEncodersUnchanged(state.Definition, encodersUsed);
            // Validated under the gate: the space list cannot change between validation and commit.
            var validated = SettleMigrationInputs(state, WriteValidator.ValidateUpserts(encoded, state.Definition, _options), migrationInputs);
            await PinLearnedCentersAsync(state, validated, cancellationToken);
            var prepared = PrepareMultiVectors(state, validated);
            var sequence = await CommitAsync(state, WriteBatch.ForUpserts(validated), prepared);
            return new WriteResult(validated.Count, sequence);
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Deletes the given ids (unknown ids are ignored). Returns how many existed.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        WriteValidator.ValidateIds(ids, "ids", _options);
        var state = GetState(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var existing = Read(state, s => ids.Distinct(StringComparer.Ordinal).Where(id => s.Items.TryGetSlot(id, out _)).ToList());
            if (existing.Count == 0)
            {
                return new WriteResult(0, state.AppliedSequence);
            }

            return new WriteResult(existing.Count, await CommitAsync(state, WriteBatch.ForDeletes(existing)));
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>Deletes every item whose payload matches the filter, in one atomic batch.</summary>
    public async Task<WriteResult> DeleteAsync(string collection, PayloadFilter filter, CancellationToken cancellationToken)
    {
        var state = GetState(collection);
        await state.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var matching = Read(state, s => MatchingIds(s, filter).ToList());
            if (matching.Count == 0)
            {
                return new WriteResult(0, state.AppliedSequence);
            }

            return new WriteResult(matching.Count, await CommitAsync(state, WriteBatch.ForDeletes(matching)));
        }
        finally
        {
            state.WriteGate.Release();
        }
    }

    /// <summary>The items with the given ids, in request order; unknown ids are left out.</summary>
    public IReadOnlyList<ItemView> GetItems(string collection, IReadOnlyList<string> ids, bool withVectors)
    {
        WriteValidator.ValidateIds(ids, "ids", _options);
        var state = GetState(collection);
        return Read(state, s =>
        {
            var items = new List<ItemView>(ids.Count);
            foreach (var id in ids)
            {
                if (s.Items.TryGetSlot(id, out var slot))
                {
                    items.Add(View(s, slot, withVectors));
                }
            }

            return items;
        });
    }

    /// <summary>A page of items in ascending ordinal id order, optionally filtered.</summary>
    public ScrollPage Scroll(string collection, PayloadFilter? filter, int limit, string? cursor, bool withVectors)
    {
        if (limit < 0 || limit > _options.MaxScrollLimit)
        {
            throw RetrievalException.Invalid("limit", $"must be between 1 and {_options.MaxScrollLimit}");
        }

        var pageSize = limit == 0 ? 100 : limit;
        var after = ScrollCursor.Decode(cursor);
        var state = GetState(collection);
        return Read(state, s =>
        {
            var page = new List<ItemView>(Math.Min(pageSize, s.Items.Count));
            var matching = filter is null || filter.IsEmpty ? null : s.MatchingSlots(filter);
            foreach (var id in s.Items.IdsAfter(after))
            {
                s.Items.TryGetSlot(id, out var slot);
                if (matching is not null && !matching.Contains(slot))
                {
                    continue;
                }

                if (page.Count == pageSize)
                {
                    // One more match exists: the page is full and a next page follows.
                    return new ScrollPage(page, ScrollCursor.Encode(page[^1].Id));
                }

                page.Add(View(s, slot, withVectors));
            }

            return new ScrollPage(page, null);
        });
    }

    /// <summary>Number of items, or of items matching <paramref name="filter"/>.</summary>
    public long Count(string collection, PayloadFilter? filter)
    {
        var state = GetState(collection);
        return Read(state, s => filter is null || filter.IsEmpty ? s.Items.Count : MatchingIds(s, filter).LongCount());
    }

    // The store write and the in-memory apply must not be abandoned half way: once the transaction may have
    // committed, the indexes must follow it, so client cancellation stops at the gate, not here.
    // An open migration may add vectors (through its maps) and marks that commit with the batch: see MigrationWriteRule.
    private async Task<long> CommitAsync(
        CollectionState state,
        WriteBatch batch,
        IReadOnlyDictionary<(string Id, string Space), PreparedMultiVector>? prepared = null,
        string? clientCheckpoint = null,
        string? workerCursor = null)
    {
        if (state.IsDeleted)
        {
            throw RetrievalException.NotFound($"collection '{state.Definition.Name}' not found");
        }

        batch = WithMigrationMarks(state, batch, clientCheckpoint, workerCursor);
        var sequence = await _store.WriteAsync(state.Definition.Name, batch, CancellationToken.None);
        Mutate(state, s =>
        {
            s.Apply(batch, sequence, prepared);
            if (batch.Migration is { } marks)
            {
                s.Migration?.Apply(marks);
            }
        });
        _optimizer.Wake();
        return sequence;
    }

    /// <summary>
    /// The first write to a multi-vector space that learns its SimHash center pins the center before anything is
    /// encoded: the mean of the batch's first tokens in that space, persisted with the space definition (the store
    /// write precedes the item commit, so no FDE is ever made with another center; should the item commit then fail,
    /// the center stays pinned from a batch that was not written). Caller holds the write gate.
    /// </summary>
    private async Task PinLearnedCentersAsync(CollectionState state, List<ItemWrite> items, CancellationToken cancellationToken)
    {
        var pending = state.MultiVectorSpaces.Values.Where(m => m.Settings.AwaitsCenter).ToList();
        var pinned = new List<SpaceDefinition>();
        foreach (var multi in pending)
        {
            var name = multi.Definition.Name;
            var rows = items.Where(item => item.Vectors.ContainsKey(name)).Select(item => item.Vectors[name]).ToList();
            if (rows.Count > 0)
            {
                pinned.Add(multi.WithLearnedCenter(rows));
            }
        }

        if (pinned.Count == 0)
        {
            return;
        }

        var current = state.Definition;
        var updated = current with
        {
            Spaces = [.. current.Spaces.Select(s => pinned.FirstOrDefault(p => p.Name == s.Name) ?? s)],
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        await _store.UpdateCollectionAsync(updated, null, cancellationToken);
        Mutate(state, s => s.Redefine(updated));
        foreach (var space in pinned)
        {
            Log.CenterLearned(_logger, current.Name, space.Name, space.MultiVector!.LearnCenterTokens!.Value);
        }
    }

    /// <summary>
    /// Prunes and encodes the batch's multi-vectors before the store write, in parallel and outside the collection
    /// lock, so readers never wait for k-means or FDE encoding. Caller holds the write gate (the spaces cannot change).
    /// </summary>
    private static Dictionary<(string Id, string Space), PreparedMultiVector>? PrepareMultiVectors(CollectionState state, List<ItemWrite> items)
    {
        var multi = state.MultiVectorSpaces;
        if (multi.Count == 0)
        {
            return null;
        }

        var work = items
            .SelectMany(item => item.Vectors.Where(v => multi.ContainsKey(v.Key)).Select(v => (item.Id, Space: v.Key, Rows: v.Value)))
            .ToArray();
        var results = new PreparedMultiVector[work.Length];
        Parallel.For(0, work.Length, i => results[i] = multi[work[i].Space].Prepare(work[i].Rows));
        var prepared = new Dictionary<(string Id, string Space), PreparedMultiVector>(work.Length);
        for (var i = 0; i < work.Length; i++)
        {
            prepared[(work[i].Id, work[i].Space)] = results[i];
        }

        return prepared;
    }

    private static IEnumerable<string> MatchingIds(CollectionState state, PayloadFilter filter) =>
        state.MatchingSlots(filter).Slots().Select(slot => state.Items[slot]!.Id);

    private static ItemView View(CollectionState state, int slot, bool withVectors)
    {
        var item = state.Items[slot]!;
        return new ItemView(item.Id, item.PayloadJson, withVectors ? state.VectorsOf(slot) : null);
    }
}

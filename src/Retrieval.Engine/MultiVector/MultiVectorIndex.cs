using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// The index of one multi-vector space: per item the token vectors kept after pruning (for the Chamfer rerank and the
/// exact mode) and the item's MUVERA document FDE in a single-vector inner-product index.
/// </summary>
/// <remarks>
/// The FDEs live in a <see cref="SpaceIndex"/>, the engine's own single-vector index type (segments), so the FDE search
/// follows whatever that index offers without code here. Everything is keyed by item slot, like the dense spaces.
/// Guarded by the collection lock like every index; <see cref="Prepare"/> and <see cref="PrepareQuery"/> are pure and
/// run outside it.
/// </remarks>
internal sealed class MultiVectorIndex : IDisposable
{
    private readonly Dictionary<int, TokenMatrix> _kept = [];
    private readonly Dictionary<int, int> _received = [];

    public MultiVectorIndex(SpaceDefinition definition)
    {
        Definition = definition;
        Settings = definition.MultiVector
            ?? throw new InvalidDataException($"multi-vector space '{definition.Name}' has no multi-vector settings");
        Encoder = EncoderOf(definition.Name, Settings);
        Fdes = new SpaceIndex(FdeDefinition(definition, Encoder.EncodedLength));
    }

    public SpaceDefinition Definition { get; private set; }

    /// <summary>The space's settings; they change only once, when a learned center is pinned (<see cref="Redefine"/>).</summary>
    public MultiVectorSettings Settings { get; private set; }

    public MuveraEncoder Encoder { get; private set; }

    /// <summary>The document FDEs, one per item that has a multi-vector in this space.</summary>
    public SpaceIndex Fdes { get; }

    /// <summary>Items with a multi-vector in this space.</summary>
    public int Count => Fdes.Count;

    /// <summary>Token vectors received for the items now in the index (before pruning).</summary>
    public long TokensReceived { get; private set; }

    /// <summary>Vectors the index keeps for those items (after pruning).</summary>
    public long VectorsKept { get; private set; }

    /// <summary>
    /// Takes a changed definition of the space; only its index spec may change (the MUVERA settings pin the encoder),
    /// except that a space awaiting its learned center takes the center once, before it holds any item. The FDE index
    /// follows the spec: the optimizer builds it in the background. Caller holds the write lock.
    /// </summary>
    public void Redefine(SpaceDefinition definition)
    {
        if (definition.MultiVector != Settings)
        {
            var pinsCenter = Settings.AwaitsCenter && Count == 0 && definition.MultiVector is { AwaitsCenter: false } pinned
                && pinned with { Muvera = pinned.Muvera with { Center = null }, EncoderState = Settings.EncoderState } == Settings;
            if (!pinsCenter)
            {
                throw new InvalidOperationException($"multi-vector space '{definition.Name}': its multi-vector settings cannot change");
            }

            Settings = definition.MultiVector!;
            Encoder = EncoderOf(definition.Name, Settings);
        }

        Definition = definition;
        Fdes.Redefine(FdeDefinition(definition, Encoder.EncodedLength));
    }

    /// <summary>The encoder the persisted state pins; its parameters must be the settings' own.</summary>
    private static MuveraEncoder EncoderOf(string space, MultiVectorSettings settings)
    {
        var encoder = settings.EncoderState is { } state ? MuveraEncoder.Deserialize(Convert.FromBase64String(state)) : new MuveraEncoder(settings.Muvera);
        return encoder.Parameters == settings.Muvera
            ? encoder
            : throw new InvalidDataException($"multi-vector space '{space}': the persisted MUVERA state does not match its parameters");
    }

    /// <summary>
    /// The space's definition with its learned center pinned: the mean of the first
    /// <see cref="MultiVectorSettings.LearnCenterTokens"/> token rows of <paramref name="rowMajorBatch"/> (validated rows,
    /// in write order), and the encoder state that persists it.
    /// </summary>
    public SpaceDefinition WithLearnedCenter(IEnumerable<float[]> rowMajorBatch)
    {
        var d = Definition.Dimension;
        var center = TokenCenter.MeanOf(rowMajorBatch.Select(rows => TokenMatrix.FromRowMajor(rows, d)), d, Settings.LearnCenterTokens!.Value);
        var muvera = Settings.Muvera with { Center = center };
        var state = Convert.ToBase64String(new MuveraEncoder(muvera).Serialize());
        return Definition with { MultiVector = Settings with { Muvera = muvera, EncoderState = state } };
    }

    /// <summary>The FDE index's own definition: one inner-product vector of the encoded length per item, indexed by the space's spec.</summary>
    private static SpaceDefinition FdeDefinition(SpaceDefinition space, int encodedLength) =>
        new(space.Name, encodedLength, Metric.InnerProduct, space.Model, Index: space.Index);

    /// <summary>Prunes a validated row-major token matrix and encodes its document FDE. Thread-safe.</summary>
    public PreparedMultiVector Prepare(ReadOnlySpan<float> rowMajor)
    {
        if (Settings.AwaitsCenter)
        {
            // The first write pins the center before encoding (RetrievalEngine.PinLearnedCentersAsync).
            throw new InvalidOperationException($"multi-vector space '{Definition.Name}' has no learned center yet; an item cannot be encoded before it is pinned");
        }

        var tokens = TokenMatrix.FromRowMajor(rowMajor, Definition.Dimension);
        var kept = TokenPruner.Prune(tokens, Settings.Pruning);
        return new PreparedMultiVector(kept, Encoder.EncodeDocument(kept), tokens.Count);
    }

    /// <summary>The query as it is searched: k_q pruning, then ball carving, when the space asks for them. Thread-safe.</summary>
    public TokenMatrix PrepareQuery(ReadOnlySpan<float> rowMajor)
    {
        var query = TokenMatrix.FromRowMajor(rowMajor, Definition.Dimension);
        if (Settings.QueryCentroids is { } centroids)
        {
            query = TokenPruner.Prune(query, PruningOptions.KMeans(centroids, Settings.Pruning.Seed) with { Iterations = Settings.Pruning.Iterations });
        }

        if (Settings.BallCarvingTau is { } tau)
        {
            query = QueryBallCarving.Carve(query, tau);
        }

        return query;
    }

    /// <summary>Sets (adds or replaces) the multi-vector of an item slot.</summary>
    public void Set(int slot, PreparedMultiVector prepared)
    {
        Remove(slot);
        Fdes.Set(slot, prepared.Encoding);
        _kept[slot] = prepared.Kept;
        _received[slot] = prepared.TokensReceived;
        TokensReceived += prepared.TokensReceived;
        VectorsKept += prepared.Kept.Count;
    }

    /// <summary>
    /// Restores an item's kept vectors and received-token count from a snapshot; its FDE is restored with the FDE
    /// segments (<see cref="Fdes"/>), not re-encoded.
    /// </summary>
    public void Restore(int slot, TokenMatrix kept, int tokensReceived)
    {
        if (!_kept.TryAdd(slot, kept))
        {
            throw new InvalidDataException($"multi-vector space '{Definition.Name}': slot {slot} restored twice");
        }

        _received[slot] = tokensReceived;
        TokensReceived += tokensReceived;
        VectorsKept += kept.Count;
    }

    /// <summary>Every item's kept vectors and received-token count, by slot (for snapshots). Caller holds a read lock.</summary>
    public IEnumerable<(int Slot, TokenMatrix Kept, int TokensReceived)> Entries() =>
        _kept.Select(entry => (entry.Key, entry.Value, _received[entry.Key]));

    /// <summary>Removes the multi-vector of an item slot, if it has one.</summary>
    public void Remove(int slot)
    {
        if (!_kept.Remove(slot, out var kept))
        {
            return;
        }

        _received.Remove(slot, out var received);
        TokensReceived -= received;
        VectorsKept -= kept.Count;
        Fdes.Remove(slot);
    }

    /// <summary>How many vectors the index keeps for an item slot, or null when it has none in this space.</summary>
    public int? KeptCountOf(int slot) => _kept.TryGetValue(slot, out var kept) ? kept.Count : null;

    /// <summary>The kept vectors of an item slot, row-major, or null when it has none in this space.</summary>
    public float[]? GetVector(int slot) => _kept.TryGetValue(slot, out var kept) ? kept.Values.ToArray() : null;

    /// <summary>
    /// The best <paramref name="depth"/> item slots (<see cref="ScoredRow.Row"/> is the slot) by exact Chamfer, ties by
    /// lower slot: over every item (those in <paramref name="slotFilter"/> when given) when <paramref name="exact"/>,
    /// else over the top <paramref name="candidates"/> items by FDE inner product (K' ≥ depth). Scores are Chamfer
    /// scores. Caller holds a read lock.
    /// </summary>
    public ScoredRow[] Search(TokenMatrix query, int depth, int candidates, bool exact, RowFilter? slotFilter, in SegmentSearchSettings settings)
    {
        if (exact)
        {
            var slots = _kept.Keys.Where(slot => slotFilter is null || slotFilter.Contains(slot)).Order().ToArray();
            var documents = slots.Select(slot => _kept[slot]).ToArray();
            var hits = ChamferSearch.Search(query, documents, depth);
            return [.. hits.Select(h => new ScoredRow(slots[h.Row], h.Score))];
        }

        // The FDE index answers in slots; its own exact flag stays off so an ANN FDE index could serve it.
        var shortlist = Fdes.Search(Encoder.EncodeQuery(query), Math.Max(candidates, depth), slotFilter, settings with { Exact = false });
        return ChamferSearch.Rerank(query, new SlotTokens(_kept), shortlist, depth);
    }

    public void Dispose() => Fdes.Dispose();

    /// <summary>The kept vectors by item slot, as the list <see cref="ChamferSearch.Rerank"/> indexes (by candidate row = slot).</summary>
    private sealed class SlotTokens(Dictionary<int, TokenMatrix> kept) : IReadOnlyList<TokenMatrix>
    {
        public int Count => kept.Count;

        public TokenMatrix this[int slot] => kept[slot];

        public IEnumerator<TokenMatrix> GetEnumerator() => kept.Values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

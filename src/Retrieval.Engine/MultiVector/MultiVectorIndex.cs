using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.Segments;
using Retrieval.Engine.State;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// The index of one multi-vector space: per item the token vectors kept after pruning, in the space's
/// <see cref="MultiVectorSettings.TokenPrecision"/> (for the Chamfer rerank and the exact mode), and the item's MUVERA
/// document FDE in a single-vector inner-product index, or, once a space with <see cref="MultiVectorSettings.FdePq"/>
/// has trained its codebooks, as PQ codes only.
/// </summary>
/// <remarks>
/// The FDEs live in a <see cref="SpaceIndex"/>, the engine's own single-vector index type (segments), so the FDE search
/// follows whatever that index offers without code here. Everything is keyed by item slot, like the dense spaces.
/// Guarded by the collection lock like every index; <see cref="Prepare"/> and <see cref="PrepareQuery"/> are pure and
/// run outside it.
/// </remarks>
internal sealed class MultiVectorIndex : IDisposable
{
    private readonly Dictionary<int, StoredTokens> _kept = [];
    private readonly Dictionary<int, int> _received = [];
    private TrainedFaissIndex? _codes;
    private TrainedFaissIndex? _tokenIndex;

    /// <summary>
    /// Token ids in the token index: slot · 2^16 + token number (a space keeps at most
    /// <see cref="Validation.MultiVectorSpaceValidator.MaxTokensLimit"/> = 2^16 tokens per item), so a hit names its item.
    /// </summary>
    private const int TokenNumberBits = 16;

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

    /// <summary>
    /// The float32 document FDEs, one per item that has a multi-vector in this space; empty once a PQ space has trained
    /// its codes (<see cref="HasFdeCodes"/>), which then hold every item's FDE.
    /// </summary>
    public SpaceIndex Fdes { get; }

    /// <summary>True once the space's FDEs are PQ codes (<see cref="MultiVectorSettings.FdePq"/>, trained).</summary>
    public bool HasFdeCodes => _codes is not null;

    /// <summary>The trained, empty PQ index of the FDEs (for snapshots), or null while there is none.</summary>
    public byte[]? FdeCodesState => _codes?.TrainedState;

    /// <summary>Items with a multi-vector in this space.</summary>
    public int Count => _kept.Count;

    /// <summary>Items whose FDE is held, as float32 or as codes (equals <see cref="Count"/> when consistent).</summary>
    public long FdeCount => Fdes.Count + (_codes?.Count ?? 0);

    /// <summary>False for a space whose first stage is the token index: it keeps no FDE.</summary>
    public bool KeepsFdes => !UsesTokenFirstStage;

    /// <summary>Bytes the stored token vectors of the items take (see <see cref="StoredTokens.Bytes"/>).</summary>
    public long TokenBytes { get; private set; }

    /// <summary>
    /// Bytes the FDEs take: 4 per dimension for float32 FDEs, or per PQ-coded item one byte per code plus the 8-byte id
    /// Faiss keeps with it.
    /// </summary>
    public long FdeBytes => (4L * Fdes.Count * Encoder.EncodedLength) + ((_codes?.Count ?? 0) * (CodeLength + sizeof(long)));

    /// <summary>
    /// Bytes one more kept token costs: its stored row in the space's precision, plus its entry in the token index for
    /// a space whose first stage is the token index (the memory budget charges writes with it).
    /// </summary>
    public long BytesPerKeptToken =>
        StoredTokens.BytesFor(Settings.TokenPrecision, 1, Definition.Dimension) + (UsesTokenFirstStage ? TokenCodeBytes + sizeof(long) : 0);

    /// <summary>Bytes one more item's FDE costs: float32, a PQ code plus its id once codes are trained, or 0 when the space keeps no FDE.</summary>
    public long BytesPerFde => !KeepsFdes ? 0 : _codes is not null ? CodeLength + sizeof(long) : 4L * Encoder.EncodedLength;

    /// <summary>True once a space whose first stage is the token index has trained it.</summary>
    public bool HasTokenIndex => _tokenIndex is not null;

    /// <summary>The trained, empty token index (for snapshots), or null while there is none.</summary>
    public byte[]? TokenIndexState => _tokenIndex?.TrainedState;

    /// <summary>Bytes the token index takes: per token its code (4, 2 or 1 byte per component) plus an 8-byte id.</summary>
    public long TokenIndexBytes => (_tokenIndex?.Count ?? 0) * (TokenCodeBytes + sizeof(long));

    private bool UsesTokenFirstStage => Settings.FirstStage == MultiVectorFirstStage.Tokens;

    private TokenFirstStageOptions TokenOptions => Settings.TokenFirstStage ?? new TokenFirstStageOptions();

    private int TokenCodeBytes => Settings.TokenPrecision switch
    {
        TokenPrecision.Float16 => 2 * Definition.Dimension,
        TokenPrecision.ScaledInt8 => Definition.Dimension,
        _ => 4 * Definition.Dimension,
    };

    private int CodeLength => Settings.FdePq is { } pq ? Encoder.EncodedLength / pq.DimsPerCode : 0;

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

    /// <summary>
    /// Prunes a validated row-major token matrix, stores the kept tokens in the space's precision and encodes the
    /// document FDE from the stored values (so the FDE is a function of what the space keeps). Thread-safe.
    /// </summary>
    public PreparedMultiVector Prepare(ReadOnlySpan<float> rowMajor)
    {
        if (Settings.AwaitsCenter)
        {
            // The first write pins the center before encoding (RetrievalEngine.PinLearnedCentersAsync).
            throw new InvalidOperationException($"multi-vector space '{Definition.Name}' has no learned center yet; an item cannot be encoded before it is pinned");
        }

        var tokens = TokenMatrix.FromRowMajor(rowMajor, Definition.Dimension);
        var kept = StoredTokens.Encode(TokenPruner.Prune(tokens, Settings.Pruning), Settings.TokenPrecision);
        return new PreparedMultiVector(kept, UsesTokenFirstStage ? null : Encoder.EncodeDocument(kept.Decode()), tokens.Count);
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

    /// <summary>
    /// Sets (adds or replaces) the multi-vector of an item slot. In a PQ space the write that brings the space to
    /// <see cref="FdePqOptions.TrainItems"/> items trains the codebooks first (see <see cref="TrainFdeCodesWhenDue"/>).
    /// </summary>
    public void Set(int slot, PreparedMultiVector prepared)
    {
        Remove(slot);
        if (UsesTokenFirstStage)
        {
            _tokenIndex?.Add(TokenIds(slot, prepared.Kept.Count), prepared.Kept.Decode().Values);
        }
        else if (_codes is not null)
        {
            _codes.Add([slot], prepared.Encoding ?? throw NoEncoding());
        }
        else
        {
            Fdes.Set(slot, prepared.Encoding ?? throw NoEncoding());
        }

        Track(slot, prepared.Kept, prepared.TokensReceived);
        TrainFdeCodesWhenDue();
        TrainTokenIndexWhenDue();
    }

    private InvalidOperationException NoEncoding() => new($"multi-vector space '{Definition.Name}': an item prepared without its FDE");

    private static long[] TokenIds(int slot, int count)
    {
        var ids = new long[count];
        for (var t = 0; t < count; t++)
        {
            ids[t] = ((long)slot << TokenNumberBits) + t;
        }

        return ids;
    }

    /// <summary>
    /// Once a token-first-stage space holds <see cref="TokenFirstStageOptions.TrainItems"/> items: trains the inverted
    /// file on all their tokens and adds them. Runs under the collection's write lock, once.
    /// </summary>
    private void TrainTokenIndexWhenDue()
    {
        if (!UsesTokenFirstStage || _tokenIndex is not null || _kept.Count < TokenOptions.TrainItems)
        {
            return;
        }

        var (ids, rows) = AllTokens();
        var codec = Settings.TokenPrecision switch
        {
            TokenPrecision.Float16 => "SQfp16",
            TokenPrecision.ScaledInt8 => "SQ8",
            _ => "Flat",
        };
        _tokenIndex = FilledTokenIndex(TrainedFaissIndex.Train($"IVF{TokenOptions.ListsFor(ids.Length)},{codec}", Definition.Dimension, rows), ids, rows);
    }

    /// <summary>Every stored token (decoded) with its token id, in slot order.</summary>
    private (long[] Ids, float[] Rows) AllTokens()
    {
        var entries = _kept.OrderBy(e => e.Key).ToArray();
        var d = Definition.Dimension;
        var total = entries.Sum(e => e.Value.Count);
        var ids = new long[total];
        var rows = new float[checked(total * d)];
        var next = 0;
        foreach (var (slot, kept) in entries)
        {
            TokenIds(slot, kept.Count).CopyTo(ids, next);
            kept.Decode().Values.CopyTo(rows.AsSpan(next * d));
            next += kept.Count;
        }

        return (ids, rows);
    }

    private static TrainedFaissIndex FilledTokenIndex(TrainedFaissIndex index, long[] ids, float[] rows)
    {
        try
        {
            index.Add(ids, rows);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Restores a token-first-stage space's trained token index from a snapshot, after its items (<see cref="Restore"/>):
    /// every stored token is added again under its item's restored slot.
    /// </summary>
    public void RestoreTokenIndex(ReadOnlySpan<byte> trainedState)
    {
        if (!UsesTokenFirstStage || _tokenIndex is not null)
        {
            throw new InvalidDataException($"multi-vector space '{Definition.Name}': a token index in a snapshot of a space that {(UsesTokenFirstStage ? "already has one" : "has firstStage FDE")}");
        }

        var (ids, rows) = AllTokens();
        _tokenIndex = FilledTokenIndex(TrainedFaissIndex.FromTrainedState(trainedState, Definition.Dimension), ids, rows);
    }

    private void Track(int slot, StoredTokens kept, int tokensReceived)
    {
        _kept[slot] = kept;
        _received[slot] = tokensReceived;
        TokensReceived += tokensReceived;
        VectorsKept += kept.Count;
        TokenBytes += kept.Bytes;
    }

    /// <summary>
    /// Once a PQ space holds <see cref="FdePqOptions.TrainItems"/> items: trains flat PQ (one list, so the codes are
    /// searched exhaustively with asymmetric distance) on their float32 FDEs, moves every FDE into the codes and drops the
    /// float32 ones. Runs under the collection's write lock, once; the write that triggers it waits for it.
    /// </summary>
    private void TrainFdeCodesWhenDue()
    {
        if (Settings.FdePq is not { } pq || _codes is not null || _kept.Count < pq.TrainItems)
        {
            return;
        }

        var length = Encoder.EncodedLength;
        var slots = Fdes.Slots().Select(slot => (long)slot).ToArray();
        var fdes = new float[checked(slots.Length * length)];
        for (var i = 0; i < slots.Length; i++)
        {
            Fdes.VectorOf((int)slots[i]).CopyTo(fdes.AsSpan(i * length, length));
        }

        var codes = TrainedFaissIndex.Train(CodesFactory(length, pq), length, fdes);
        try
        {
            codes.Add(slots, fdes);
        }
        catch
        {
            codes.Dispose();
            throw;
        }

        Fdes.RemoveAll();
        _codes = codes;
    }

    /// <summary>One inverted list (flat), m = length / dimsPerCode codes of 8 bits.</summary>
    private static string CodesFactory(int length, FdePqOptions pq) => $"IVF1,PQ{length / pq.DimsPerCode}x8";

    /// <summary>
    /// Restores a PQ space's trained codebooks from a snapshot, after its items (<see cref="Restore"/>): every item's FDE
    /// is re-encoded from its stored tokens (the FDE is a function of them) and coded under its restored slot.
    /// </summary>
    public void RestoreFdeCodes(ReadOnlySpan<byte> trainedState)
    {
        if (Settings.FdePq is null || _codes is not null || Fdes.Count != 0)
        {
            throw new InvalidDataException($"multi-vector space '{Definition.Name}': PQ codes in a snapshot of a space that {(Settings.FdePq is null ? "has no fdePq" : "already holds FDEs")}");
        }

        var length = Encoder.EncodedLength;
        var codes = TrainedFaissIndex.FromTrainedState(trainedState, length);
        try
        {
            var entries = _kept.ToArray();
            var fdes = new float[checked(entries.Length * length)];
            Parallel.For(0, entries.Length, i => Encoder.EncodeDocument(entries[i].Value.Decode(), fdes.AsSpan(i * length, length)));
            codes.Add([.. entries.Select(e => (long)e.Key)], fdes);
        }
        catch
        {
            codes.Dispose();
            throw;
        }

        _codes = codes;
    }

    /// <summary>
    /// Restores an item's kept vectors and received-token count from a snapshot; its FDE is restored with the FDE
    /// segments (<see cref="Fdes"/>), not re-encoded.
    /// </summary>
    public void Restore(int slot, StoredTokens kept, int tokensReceived)
    {
        if (_kept.ContainsKey(slot))
        {
            throw new InvalidDataException($"multi-vector space '{Definition.Name}': slot {slot} restored twice");
        }

        Track(slot, kept, tokensReceived);
    }

    /// <summary>Every item's kept vectors and received-token count, by slot (for snapshots). Caller holds a read lock.</summary>
    public IEnumerable<(int Slot, StoredTokens Kept, int TokensReceived)> Entries() =>
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
        TokenBytes -= kept.Bytes;
        if (UsesTokenFirstStage)
        {
            _tokenIndex?.Remove(TokenIds(slot, kept.Count));
        }
        else if (_codes is not null)
        {
            _codes.Remove([slot]);
        }
        else
        {
            Fdes.Remove(slot);
        }
    }

    /// <summary>How many vectors the index keeps for an item slot, or null when it has none in this space.</summary>
    public int? KeptCountOf(int slot) => _kept.TryGetValue(slot, out var kept) ? kept.Count : null;

    /// <summary>
    /// The exact document FDE of an item slot: the stored float32 one, or, in a space that keeps PQ codes, re-encoded
    /// from the stored tokens (bit-identical to what was coded). Null when the slot has no multi-vector here, or the space
    /// keeps no FDEs (first stage TOKENS).
    /// </summary>
    public float[]? GetEncoding(int slot) =>
        Fdes.Contains(slot) ? Fdes.GetVector(slot)
        : KeepsFdes && _kept.TryGetValue(slot, out var kept) ? Encoder.EncodeDocument(kept.Decode())
        : null;

    /// <summary>The kept vectors of an item slot as stored (decoded to float32), row-major, or null when it has none in this space.</summary>
    public float[]? GetVector(int slot) => _kept.TryGetValue(slot, out var kept) ? kept.Decode().Values.ToArray() : null;

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

        if (UsesTokenFirstStage)
        {
            // Until the token index is trained the space holds fewer than trainItems items: exact Chamfer is the answer.
            var candidatesOfTokens = _tokenIndex is null ? null : TokenCandidates(_tokenIndex, query, slotFilter, settings);
            return candidatesOfTokens is null || (slotFilter is not null && candidatesOfTokens.Length < depth)
                ? Search(query, depth, candidates, exact: true, slotFilter, settings)
                : ChamferSearch.Rerank(query, slot => _kept[slot], candidatesOfTokens, depth);
        }

        // The FDE index answers in slots; its own exact flag stays off so an ANN FDE index could serve it.
        var fde = Encoder.EncodeQuery(query);
        var shortlist = _codes is null
            ? Fdes.Search(fde, Math.Max(candidates, depth), slotFilter, settings with { Exact = false })
            : CodeShortlist(_codes, fde, Math.Max(candidates, depth), slotFilter);
        return ChamferSearch.Rerank(query, slot => _kept[slot], shortlist, depth);
    }

    /// <summary>
    /// The token-level first stage: the items of each query token's nearest stored tokens (a search's nprobe overrides
    /// the space's probes), those in <paramref name="slotFilter"/> when given. Candidates carry no score; the rerank scores
    /// them. A selective filter can leave fewer candidates than hits wanted: the caller then searches exactly.
    /// </summary>
    private ScoredRow[] TokenCandidates(TrainedFaissIndex index, TokenMatrix query, RowFilter? slotFilter, in SegmentSearchSettings settings)
    {
        var options = TokenOptions;
        var k = (int)Math.Min(options.Neighbours, index.Count);
        if (k == 0)
        {
            return [];
        }

        var probes = settings.Parameters.NProbe > 0 ? settings.Parameters.NProbe : options.Probes;
        var ids = new long[k];
        var scores = new float[k];
        var slots = new HashSet<int>();
        for (var t = 0; t < query.Count; t++)
        {
            var found = index.Search(query.Row(t), k, probes, allowed: null, ids, scores);
            for (var i = 0; i < found; i++)
            {
                var slot = (int)(ids[i] >> TokenNumberBits);
                if (slotFilter is null || slotFilter.Contains(slot))
                {
                    slots.Add(slot);
                }
            }
        }

        return [.. slots.Order().Select(slot => new ScoredRow(slot, 0))];
    }

    /// <summary>The top-<paramref name="k"/> slots by asymmetric PQ distance (approximate inner product).</summary>
    private static ScoredRow[] CodeShortlist(TrainedFaissIndex codes, float[] query, int k, RowFilter? slotFilter)
    {
        k = (int)Math.Min(k, codes.Count);
        if (k == 0)
        {
            return [];
        }

        var ids = new long[k];
        var scores = new float[k];
        var found = codes.Search(query, k, probes: 1, slotFilter, ids, scores);
        var rows = new ScoredRow[found];
        for (var i = 0; i < found; i++)
        {
            rows[i] = new ScoredRow((int)ids[i], scores[i]);
        }

        return rows;
    }

    public void Dispose()
    {
        _codes?.Dispose();
        _tokenIndex?.Dispose();
        Fdes.Dispose();
    }
}

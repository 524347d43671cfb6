using Retrieval.Core.Model;
using Retrieval.Core.MultiVector;
using Retrieval.Core.Search;
using Retrieval.Engine.State;

namespace Retrieval.Engine.MultiVector;

/// <summary>
/// The index of one multi-vector space: per item the token vectors kept after pruning (for the Chamfer rerank and the
/// exact mode) and the item's MUVERA document FDE in a single-vector inner-product index.
/// </summary>
/// <remarks>
/// The FDEs live in a <see cref="SpaceIndex"/>, the engine's own single-vector index type, so the FDE search follows
/// whatever that index becomes (segments, ANN) without code here; its row ↔ item-slot mapping is also this space's.
/// Guarded by the collection lock like every index; <see cref="Prepare"/> and <see cref="PrepareQuery"/> are pure and
/// run outside it.
/// </remarks>
internal sealed class MultiVectorIndex
{
    private readonly Dictionary<int, TokenMatrix> _kept = [];
    private readonly Dictionary<int, int> _received = [];

    public MultiVectorIndex(SpaceDefinition definition)
    {
        Definition = definition;
        Settings = definition.MultiVector
            ?? throw new InvalidDataException($"multi-vector space '{definition.Name}' has no multi-vector settings");
        Encoder = Settings.EncoderState is { } state ? MuveraEncoder.Deserialize(Convert.FromBase64String(state)) : new MuveraEncoder(Settings.Muvera);
        if (Encoder.Parameters != Settings.Muvera)
        {
            throw new InvalidDataException($"multi-vector space '{definition.Name}': the persisted MUVERA state does not match its parameters");
        }

        var fdeSpace = new SpaceDefinition(definition.Name, Encoder.EncodedLength, Metric.InnerProduct, definition.Model);
        // FDEs are long (2,560–10,240 floats for the presets): start small instead of the dense default of 1024 rows.
        Fdes = new SpaceIndex(fdeSpace, initialCapacity: 16);
    }

    public SpaceDefinition Definition { get; }

    public MultiVectorSettings Settings { get; }

    public MuveraEncoder Encoder { get; }

    /// <summary>The document FDEs, one row per item that has a multi-vector in this space.</summary>
    public SpaceIndex Fdes { get; }

    /// <summary>Items with a multi-vector in this space.</summary>
    public int Count => Fdes.Count;

    /// <summary>Token vectors received for the items now in the index (before pruning).</summary>
    public long TokensReceived { get; private set; }

    /// <summary>Vectors the index keeps for those items (after pruning).</summary>
    public long VectorsKept { get; private set; }

    /// <summary>Prunes a validated row-major token matrix and encodes its document FDE. Thread-safe.</summary>
    public PreparedMultiVector Prepare(ReadOnlySpan<float> rowMajor)
    {
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

    /// <summary>The kept vectors of an item slot, row-major, or null when it has none in this space.</summary>
    public float[]? GetVector(int slot) => _kept.TryGetValue(slot, out var kept) ? kept.Values.ToArray() : null;

    /// <summary>The kept vectors of FDE row <paramref name="row"/>.</summary>
    public TokenMatrix TokensOfRow(int row) => _kept[Fdes.SlotOfRow(row)];

    /// <summary>
    /// The best <paramref name="depth"/> rows by exact Chamfer: over every row (optionally filtered) when
    /// <paramref name="exact"/>, else over the top <paramref name="candidates"/> rows by FDE inner product (K' ≥ depth).
    /// Scores are Chamfer scores. Caller holds a read lock.
    /// </summary>
    public ScoredRow[] Search(TokenMatrix query, int depth, int candidates, bool exact, RowFilter? filter)
    {
        var documents = new RowTokens(this);
        if (exact && filter is null)
        {
            return ChamferSearch.Search(query, documents, depth);
        }

        ScoredRow[] shortlist;
        if (exact)
        {
            var rows = new List<ScoredRow>();
            for (var row = 0; row < Count; row++)
            {
                if (filter!.Contains(row))
                {
                    rows.Add(new ScoredRow(row, 0));
                }
            }

            shortlist = [.. rows];
        }
        else
        {
            shortlist = ExactSearch.Search(Fdes.Storage, Encoder.EncodeQuery(query), Math.Max(candidates, depth), ScoreKind.InnerProduct, filter);
        }

        return ChamferSearch.Rerank(query, documents, shortlist, depth);
    }

    /// <summary>The kept vectors by FDE row, as the list <see cref="ChamferSearch"/> scans.</summary>
    private sealed class RowTokens(MultiVectorIndex index) : IReadOnlyList<TokenMatrix>
    {
        public int Count => index.Count;

        public TokenMatrix this[int row] => index.TokensOfRow(row);

        public IEnumerator<TokenMatrix> GetEnumerator()
        {
            for (var row = 0; row < Count; row++)
            {
                yield return this[row];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

using Retrieval.Core.Search;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Multi-vector search through MUVERA: query FDE → exact inner-product top-K' over the document FDEs → exact Chamfer
/// rerank of those K' candidates on the stored token vectors → top-k. FDEs are compared by inner product, never
/// cosine: ⟨F_q, F_d⟩ is what approximates R·CH(Q, P).
/// </summary>
public static class FdeSearch
{
    /// <summary>
    /// Encodes every document (in list order, so row i of the result is document i) into a new inner-product storage.
    /// </summary>
    public static FlatVectorStorage BuildIndex(MuveraEncoder encoder, IReadOnlyList<TokenMatrix> documents)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(documents);
        var storage = new FlatVectorStorage(encoder.EncodedLength, Math.Max(1, documents.Count));
        var encoding = new float[encoder.EncodedLength];
        foreach (var document in documents)
        {
            encoder.EncodeDocument(document, encoding);
            storage.Add(encoding);
        }

        return storage;
    }

    /// <summary>
    /// The best <paramref name="k"/> documents by exact Chamfer among the <paramref name="candidates"/> (K') best by
    /// FDE inner product. Row r of <paramref name="fdes"/> must be the document FDE of <paramref name="documents"/>[r].
    /// Scores are Chamfer scores; <paramref name="query"/> is used as given (carve or prune it beforehand if wanted).
    /// </summary>
    public static ScoredRow[] Search(MuveraEncoder encoder, FlatVectorStorage fdes, IReadOnlyList<TokenMatrix> documents, TokenMatrix query, int candidates, int k)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(fdes);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, k);
        if (fdes.Count != documents.Count)
        {
            throw new ArgumentException($"{fdes.Count} FDE rows for {documents.Count} documents", nameof(fdes));
        }

        var shortlist = Candidates(encoder, fdes, query, candidates);
        return ChamferSearch.Rerank(query, documents, shortlist, k);
    }

    /// <summary>The K' best documents by ⟨F_q, F_d⟩ (FDE inner-product scores), best first.</summary>
    public static ScoredRow[] Candidates(MuveraEncoder encoder, FlatVectorStorage fdes, TokenMatrix query, int candidates)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(fdes);
        var queryEncoding = encoder.EncodeQuery(query);
        return ExactSearch.Search(fdes, queryEncoding, candidates, ScoreKind.InnerProduct);
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Retrieval.Core.Errors;

namespace Retrieval.Engine.Indexes;

/// <summary>
/// A space's approximate index, written as a Faiss-style factory string: <c>HNSW{M}</c>, <c>HNSW{M},SQ8</c>,
/// <c>IVF{nlist},Flat</c>, <c>IVF{nlist},PQ{m}x{nbits}</c>, <c>IVF{nlist},SQ8</c>. An HNSW spec may end with
/// <c>,efConstruction={n}</c>, the graph's build-time candidate list for this space (Faiss's factory strings have no
/// such term: Faiss sets it as an index parameter); without it the server's
/// <c>Retrieval:Indexing:HnswEfConstruction</c> applies. Parsing is case-insensitive; <see cref="ToString"/> gives
/// the canonical spelling that is stored and reported.
/// </summary>
/// <param name="Kind">Which index.</param>
/// <param name="M">HNSW graph degree.</param>
/// <param name="NList">IVF lists.</param>
/// <param name="PqM">PQ sub-quantizers.</param>
/// <param name="PqBits">PQ bits per code.</param>
/// <param name="EfConstruction">HNSW build candidate list; 0 means the server's configured default.</param>
public sealed partial record IndexSpec(IndexKind Kind, int M = 0, int NList = 0, int PqM = 0, int PqBits = 0, int EfConstruction = 0)
{
    public const int MaxHnswM = 256;
    public const int MaxNList = 1 << 20;

    /// <summary>Largest HNSW efConstruction a spec may name (build cost grows with it; beyond this nothing is gained).</summary>
    public const int MaxEfConstruction = 4096;

    /// <summary>Parses and validates a spec against the space's dimension; errors name <paramref name="field"/>.</summary>
    public static IndexSpec Parse(string text, int dimension, FieldPath field)
    {
        var spec = text.Trim();
        if (HnswPattern().Match(spec) is { Success: true } hnsw)
        {
            var m = ParseBounded(hnsw.Groups["m"].Value, 4, MaxHnswM, field, "HNSW's M");
            var efConstruction = hnsw.Groups["efc"].Success ? ParseBounded(hnsw.Groups["efc"].Value, 1, MaxEfConstruction, field, "HNSW's efConstruction") : 0;
            return new IndexSpec(hnsw.Groups["sq"].Success ? IndexKind.HnswSq8 : IndexKind.Hnsw, M: m, EfConstruction: efConstruction);
        }

        if (IvfPattern().Match(spec) is { Success: true } ivf)
        {
            var nlist = ParseBounded(ivf.Groups["nlist"].Value, 1, MaxNList, field, "IVF's nlist");
            var coder = ivf.Groups["coder"].Value.ToUpperInvariant();
            if (coder == "FLAT")
            {
                return new IndexSpec(IndexKind.IvfFlat, NList: nlist);
            }

            if (coder == "SQ8")
            {
                return new IndexSpec(IndexKind.IvfSq8, NList: nlist);
            }

            var m = ParseBounded(ivf.Groups["pqm"].Value, 1, dimension, field, "PQ's m (sub-quantizers)");
            var bits = ParseBounded(ivf.Groups["pqbits"].Value, 1, 16, field, "PQ's bits per code");
            if (dimension % m != 0)
            {
                throw RetrievalException.Invalid(field, $"PQ's m ({m}) must divide the space's dimension ({dimension})");
            }

            return new IndexSpec(IndexKind.IvfPq, NList: nlist, PqM: m, PqBits: bits);
        }

        throw RetrievalException.Invalid(
            field,
            $"'{text}' is not an index spec; use HNSW{{M}}, HNSW{{M}},SQ8 (either may end with ,efConstruction={{n}}), IVF{{nlist}},Flat, IVF{{nlist}},PQ{{m}}x{{nbits}} or IVF{{nlist}},SQ8 (or empty for exact search)");
    }

    /// <summary>True when the index compares compressed vectors (PQ codes, 8-bit or half-precision scalars).</summary>
    public bool IsQuantized => Kind is IndexKind.HnswSq8 or IndexKind.IvfPq or IndexKind.IvfSq8;

    /// <summary>True for the Faiss IVF family (trained, probed with nprobe).</summary>
    public bool IsIvf => Kind is IndexKind.IvfFlat or IndexKind.IvfPq or IndexKind.IvfSq8;

    /// <summary>
    /// The spec a segment of <paramref name="rows"/> vectors is built with: IVF's nlist is capped so that k-means has
    /// at least <paramref name="pointsPerList"/> training points per list (Faiss's own warning threshold is 39).
    /// </summary>
    public IndexSpec ForSegmentOf(int rows, int pointsPerList) =>
        IsIvf ? this with { NList = Math.Clamp(rows / Math.Max(1, pointsPerList), 1, NList) } : this;

    /// <summary>The Faiss factory string of an IVF spec.</summary>
    public string FaissFactory => Kind switch
    {
        IndexKind.IvfFlat => $"IVF{NList},Flat",
        IndexKind.IvfPq => $"IVF{NList},PQ{PqM}x{PqBits}",
        IndexKind.IvfSq8 => $"IVF{NList},SQ8",
        _ => throw new InvalidOperationException($"{this} is not a Faiss index"),
    };

    /// <summary>The HNSW build candidate list this spec is built with: its own, else the server's default.</summary>
    public int EfConstructionOr(int configured) => EfConstruction > 0 ? EfConstruction : configured;

    public override string ToString() => Kind switch
    {
        IndexKind.Hnsw => $"HNSW{M}{EfConstructionTerm}",
        IndexKind.HnswSq8 => $"HNSW{M},SQ8{EfConstructionTerm}",
        _ => FaissFactory,
    };

    private string EfConstructionTerm => EfConstruction > 0 ? $",efConstruction={EfConstruction}" : "";

    private static int ParseBounded(string digits, int min, int max, FieldPath field, string what)
    {
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw RetrievalException.Invalid(field, $"{what} must be between {min} and {max}, got {digits}");
        }

        return value;
    }

    [GeneratedRegex(@"^HNSW(?<m>\d{1,9})(?<sq>\s*,\s*SQ8)?(?:\s*,\s*efConstruction\s*=\s*(?<efc>\d{1,9}))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HnswPattern();

    [GeneratedRegex(@"^IVF(?<nlist>\d{1,9})\s*,\s*(?<coder>FLAT|SQ8|PQ(?<pqm>\d{1,9})x(?<pqbits>\d{1,9}))$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IvfPattern();
}

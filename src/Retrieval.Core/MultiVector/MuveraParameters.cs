using System.Text.Json.Serialization;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// Parameters of MUVERA fixed dimensional encodings (Dhulipala et al., NeurIPS 2024; DESIGN §6). Together with
/// <see cref="Seed"/> they determine every random matrix, so they are all that needs persisting
/// (see <see cref="MuveraEncoder.Serialize"/>).
/// </summary>
public sealed record MuveraParameters
{
    /// <summary>Largest supported <see cref="KSim"/> (2^16 buckets per repetition).</summary>
    public const int MaxKSim = 16;

    /// <summary>Largest supported encoded length R·2^k_sim·d_proj (2^28 floats = 1 GiB per encoding).</summary>
    public const long MaxEncodedLength = 1L << 28;

    /// <summary>Components per token vector (d). Required.</summary>
    public required int Dimension { get; init; }

    /// <summary>SimHash hyperplanes per repetition (k_sim); B = 2^k_sim buckets. Default 5; 0 gives one bucket.</summary>
    public int KSim { get; init; } = 5;

    /// <summary>
    /// Inner projection dimension (d_proj). Default 16. When equal to <see cref="Dimension"/> the projection is the
    /// identity; otherwise ψ(x) = (1/√d_proj)·S x with S ∈ {±1}^{d_proj×d}.
    /// </summary>
    public int DProj { get; init; } = 16;

    /// <summary>Independent repetitions (R_reps). Default 20.</summary>
    public int Repetitions { get; init; } = 20;

    /// <summary>Final Count-Sketch length (d_final), or null (default) for none.</summary>
    public int? DFinal { get; init; }

    /// <summary>Documents only: an empty bucket takes the token with the nearest SimHash bit pattern. Default true.</summary>
    public bool FillEmptyBuckets { get; init; } = true;

    /// <summary>Seed of the <see cref="DeterministicRandom"/> that draws every matrix. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The point the SimHash hyperplanes pass through (bucket bits = signs of ⟨g, x − μ⟩), or null (default) for the
    /// origin. Only bucket assignment changes: the blocks still hold ψ(x) of the tokens themselves.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TokenCenter? Center { get; init; }

    /// <summary>B = 2^k_sim buckets per repetition.</summary>
    [JsonIgnore]
    public int BucketCount => 1 << KSim;

    /// <summary>True when d_proj = d: blocks hold the raw token vectors.</summary>
    [JsonIgnore]
    public bool UsesIdentityProjection => DProj == Dimension;

    /// <summary>Length before the optional Count-Sketch: R·2^k_sim·d_proj.</summary>
    [JsonIgnore]
    public int BlockEncodedLength => Repetitions * BucketCount * DProj;

    /// <summary>Length of an encoding: <see cref="DFinal"/> when set, else R·2^k_sim·d_proj.</summary>
    [JsonIgnore]
    public int EncodedLength => DFinal ?? BlockEncodedLength;

    /// <summary>(R, k_sim, d_proj) = (20, 5, 16): 10240 dimensions, the paper's end-to-end setting.</summary>
    public static MuveraParameters EndToEndPreset(int dimension, ulong seed = 0) =>
        new() { Dimension = dimension, Repetitions = 20, KSim = 5, DProj = 16, Seed = seed };

    /// <summary>(R, k_sim, d_proj) = (20, 4, 8): 2560 dimensions.</summary>
    public static MuveraParameters CompactPreset(int dimension, ulong seed = 0) =>
        new() { Dimension = dimension, Repetitions = 20, KSim = 4, DProj = 8, Seed = seed };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range parameter.</summary>
    public void Validate()
    {
        if (Dimension < 1)
        {
            throw new ArgumentException($"Dimension must be ≥ 1, got {Dimension}");
        }

        if (KSim is < 0 or > MaxKSim)
        {
            throw new ArgumentException($"KSim must be in [0, {MaxKSim}], got {KSim}");
        }

        if (DProj < 1)
        {
            throw new ArgumentException($"DProj must be ≥ 1, got {DProj}");
        }

        if (Repetitions < 1)
        {
            throw new ArgumentException($"Repetitions must be ≥ 1, got {Repetitions}");
        }

        if ((long)Repetitions * BucketCount * DProj > MaxEncodedLength)
        {
            throw new ArgumentException($"R·2^k_sim·d_proj = {(long)Repetitions * BucketCount * DProj} exceeds {MaxEncodedLength}");
        }

        if (DFinal is < 1)
        {
            throw new ArgumentException($"DFinal must be ≥ 1 when set, got {DFinal}");
        }

        Center?.Validate(Dimension);
    }
}

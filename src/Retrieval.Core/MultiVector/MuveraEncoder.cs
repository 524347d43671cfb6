namespace Retrieval.Core.MultiVector;

/// <summary>
/// MUVERA fixed dimensional encodings (DESIGN §6): maps a multi-vector to one vector F such that ⟨F_q, F_d⟩
/// approximates R·CH(Q, P), so that multi-vector search becomes inner-product search plus a Chamfer rerank.
/// Immutable after construction; thread-safe.
/// </summary>
/// <remarks>
/// <para>Per repetition r (0 ≤ r &lt; R), from one <see cref="DeterministicRandom"/> seeded with
/// <see cref="MuveraParameters.Seed"/>, in this order: k_sim Gaussian hyperplanes g_{r,0..k−1} ∈ ℝ^d (row by row), then
/// — unless d_proj = d — the d_proj × d sign matrix S_r (row by row, one random bit each). After all repetitions, when
/// d_final is set: for each of the R·B·d_proj coordinates i, a bucket h(i) ∈ [0, d_final) then a sign s(i) = ±1.</para>
/// <para>Bucket of token x in repetition r: b = Σ_j [⟨g_{r,j}, x⟩ &gt; 0]·2^j, i.e. bit j (least significant first)
/// is hyperplane j's sign bit; an inner product of exactly 0 gives bit 0. With a center μ
/// (<see cref="MuveraParameters.Center"/>) bit j is [⟨g_{r,j}, x⟩ &gt; ⟨g_{r,j}, μ⟩], the threshold computed once per
/// hyperplane (float products summed in double, rounded to float).</para>
/// <para>Layout of F: repetition-major, then bucket, then the d_proj coordinates of the block:
/// F[(r·B + b)·d_proj + c].</para>
/// </remarks>
public sealed partial class MuveraEncoder
{
    // Stacked projection M (d × _columns, in ProjectionKernel's packed panel layout); repetition r owns columns
    // [r·_width, (r+1)·_width): first the k_sim hyperplanes, then (without identity projection) the d_proj rows of
    // S_r/√d_proj. Padding columns are zero.
    private readonly float[] _projection;
    private readonly int _columns;
    private readonly int _width;
    // Bucket thresholds ⟨g_{r,j}, μ⟩ at the hyperplane columns' positions (r·_width + j), zero without a center; padded
    // by one vector so a Vector256 load at any repetition's first column stays inside the array.
    private readonly float[] _thresholds;
    private readonly int[]? _sketchBucket;
    private readonly float[]? _sketchSign;

    /// <summary>Validates <paramref name="parameters"/> and draws every random matrix from its seed.</summary>
    public MuveraEncoder(MuveraParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        Parameters = parameters;
        var d = parameters.Dimension;
        var projected = parameters.UsesIdentityProjection ? 0 : parameters.DProj;
        _width = parameters.KSim + projected;
        var used = checked(parameters.Repetitions * _width);
        _columns = Math.Max(ProjectionKernel.ColumnBlock, (used + ProjectionKernel.ColumnBlock - 1) / ProjectionKernel.ColumnBlock * ProjectionKernel.ColumnBlock);
        _projection = new float[checked(d * _columns)];

        var random = new DeterministicRandom(parameters.Seed);
        var scale = (float)(1.0 / Math.Sqrt(parameters.DProj));
        // The fingerprint hashes the float bits in draw order, independent of the kernel's memory layout.
        var fingerprint = default(Fnv1a64);
        for (var r = 0; r < parameters.Repetitions; r++)
        {
            for (var j = 0; j < parameters.KSim; j++)
            {
                for (var c = 0; c < d; c++)
                {
                    var value = (float)random.NextGaussian();
                    _projection[ProjectionKernel.PackedIndex(c, (r * _width) + j, d)] = value;
                    fingerprint.Append(value);
                }
            }

            for (var row = 0; row < projected; row++)
            {
                for (var c = 0; c < d; c++)
                {
                    var value = random.NextSign() * scale;
                    _projection[ProjectionKernel.PackedIndex(c, (r * _width) + parameters.KSim + row, d)] = value;
                    fingerprint.Append(value);
                }
            }
        }

        _thresholds = new float[_columns + System.Runtime.Intrinsics.Vector256<float>.Count];
        if (parameters.Center is { } center)
        {
            // ⟨g, x − μ⟩ > 0 ⇔ ⟨g, x⟩ > ⟨g, μ⟩: the GEMM's hyperplane products are compared with a per-hyperplane
            // threshold, so centering costs no extra pass over the tokens. Float products summed exactly in double,
            // in a fixed order, then rounded once: the same center always gives the same thresholds.
            var mu = center.AsSpan();
            for (var r = 0; r < parameters.Repetitions; r++)
            {
                for (var j = 0; j < parameters.KSim; j++)
                {
                    var column = (r * _width) + j;
                    var sum = 0.0;
                    for (var c = 0; c < d; c++)
                    {
                        sum += (double)_projection[ProjectionKernel.PackedIndex(c, column, d)] * mu[c];
                    }

                    _thresholds[column] = (float)sum;
                }
            }
        }

        if (parameters.DFinal is { } dFinal)
        {
            var length = parameters.BlockEncodedLength;
            _sketchBucket = new int[length];
            _sketchSign = new float[length];
            for (var i = 0; i < length; i++)
            {
                _sketchBucket[i] = random.NextInt(dFinal);
                _sketchSign[i] = random.NextSign();
            }

            fingerprint.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_sketchBucket.AsSpan()));
            fingerprint.Append(_sketchSign);
        }

        MatrixFingerprint = fingerprint.Value;
    }

    /// <summary>The parameters this encoder was built from.</summary>
    public MuveraParameters Parameters { get; }

    /// <summary>Length of every encoding (<see cref="MuveraParameters.EncodedLength"/>).</summary>
    public int EncodedLength => Parameters.EncodedLength;

    /// <summary>
    /// FNV-1a 64 of the generated matrices' float bits: equal fingerprints mean bit-identical matrices. Persisted so
    /// that a reload can prove its regenerated matrices are the ones the stored encodings were made with.
    /// </summary>
    public ulong MatrixFingerprint { get; }

    /// <summary>
    /// Multiply-adds per token of the projection step, R·d·(k_sim + d_proj) (d_proj counted as 0 with the identity
    /// projection): the FMA work the encoding throughput is measured against.
    /// </summary>
    public long MultiplyAddsPerToken => (long)Parameters.Repetitions * Parameters.Dimension * _width;
}

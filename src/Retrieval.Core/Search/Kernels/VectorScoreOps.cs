using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Core.Search.Kernels;

/// <summary>The per-lane arithmetic of a score, so that one set of <see cref="Vector256Kernel{TOp}"/> loops serves every <see cref="ScoreKind"/>.</summary>
internal interface IVectorScoreOp
{
    /// <summary>Folds eight components of the query and of a row into the accumulator.</summary>
    static abstract Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> q, Vector256<float> x);

    /// <summary>The scalar step for the last dim mod 8 components (a fused multiply-add, like the vector step).</summary>
    static abstract float Accumulate(float acc, float q, float x);

    /// <summary>Turns reduced accumulator sums into scores (higher is better).</summary>
    static abstract Vector128<float> Finish(Vector128<float> sums);

    /// <inheritdoc cref="Finish(Vector128{float})"/>
    static abstract float Finish(float sum);
}

/// <summary>⟨q, x⟩.</summary>
internal readonly struct InnerProductOp : IVectorScoreOp
{
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> q, Vector256<float> x) => Fma.MultiplyAdd(q, x, acc);

    public static float Accumulate(float acc, float q, float x) => MathF.FusedMultiplyAdd(q, x, acc);

    public static Vector128<float> Finish(Vector128<float> sums) => sums;

    public static float Finish(float sum) => sum;
}

/// <summary>
/// −‖q − x‖², computed directly rather than by the norms trick: it costs a subtraction per lane but has no
/// cancellation error, and this scan is the oracle the approximate indexes are tested against.
/// </summary>
internal readonly struct NegativeSquaredL2Op : IVectorScoreOp
{
    public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> q, Vector256<float> x)
    {
        var diff = x - q;
        return Fma.MultiplyAdd(diff, diff, acc);
    }

    public static float Accumulate(float acc, float q, float x)
    {
        var diff = x - q;
        return MathF.FusedMultiplyAdd(diff, diff, acc);
    }

    public static Vector128<float> Finish(Vector128<float> sums) => -sums;

    public static float Finish(float sum) => -sum;
}

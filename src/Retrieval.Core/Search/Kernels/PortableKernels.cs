using System.Numerics;
using System.Numerics.Tensors;

namespace Retrieval.Core.Search.Kernels;

/// <summary>
/// Fallback for hardware without AVX2 + FMA (e.g. ARM64): one row at a time through <see cref="TensorPrimitives"/> (or
/// <see cref="Vector{T}"/>), which vectorise with whatever the platform has. Scores are deterministic per pair, so batch still equals single.
/// </summary>
internal readonly unsafe struct PortableInnerProductKernel : IScoreKernel
{
    public static float Score(float* q, float* x, int dim) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(q, dim), new ReadOnlySpan<float>(x, dim));

    public static void Score1x4(float* q, float* x, nint xStride, int dim, float* scores)
    {
        for (var i = 0; i < 4; i++)
        {
            scores[i] = Score(q, x + (i * xStride), dim);
        }
    }

    public static void Score4x4(float* q, nint qStride, float* x, nint xStride, int dim, float* scores, nint scoresStride)
    {
        for (var j = 0; j < 4; j++)
        {
            Score1x4(q + (j * qStride), x, xStride, dim, scores + (j * scoresStride));
        }
    }
}

/// <summary>The <see cref="ScoreKind.NegativeSquaredL2"/> counterpart of <see cref="PortableInnerProductKernel"/>.</summary>
internal readonly unsafe struct PortableSquaredL2Kernel : IScoreKernel
{
    // Not TensorPrimitives.Distance squared: its square root and re-squaring would make exactly representable
    // distances (e.g. of integer vectors) inexact. Vector<T> is the platform's natural width (NEON, SSE).
    public static float Score(float* q, float* x, int dim)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= dim - Vector<float>.Count; i += Vector<float>.Count)
        {
            var diff = Vector.Load(x + i) - Vector.Load(q + i);
            acc += diff * diff;
        }

        var sum = Vector.Sum(acc);
        for (; i < dim; i++)
        {
            var diff = x[i] - q[i];
            sum += diff * diff;
        }

        return -sum;
    }

    public static void Score1x4(float* q, float* x, nint xStride, int dim, float* scores)
    {
        for (var i = 0; i < 4; i++)
        {
            scores[i] = Score(q, x + (i * xStride), dim);
        }
    }

    public static void Score4x4(float* q, nint qStride, float* x, nint xStride, int dim, float* scores, nint scoresStride)
    {
        for (var j = 0; j < 4; j++)
        {
            Score1x4(q + (j * qStride), x, xStride, dim, scores + (j * scoresStride));
        }
    }
}

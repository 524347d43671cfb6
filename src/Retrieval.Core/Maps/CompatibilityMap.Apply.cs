using System.Buffers;
using System.Numerics.Tensors;

namespace Retrieval.Core.Maps;

public sealed partial class CompatibilityMap
{
    // Scratch of up to this many floats lives on the stack (8 KiB); larger maps rent from the pool.
    private const int StackScratchLimit = 2048;

    /// <summary>
    /// Maps one vector: <paramref name="y"/> = <c>(x − μ_in)·W + b</c> (+ residual, + re-normalization).
    /// One GEMV computed as <c>d_in</c> SIMD row updates <c>y += z_i·W[i,:]</c>; no allocation for <c>d ≤ 2048</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When a span length differs from the map's dimensions.</exception>
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != InputDimension)
        {
            throw new ArgumentException($"input has {x.Length} components, map expects {InputDimension}", nameof(x));
        }

        if (y.Length != OutputDimension)
        {
            throw new ArgumentException($"output has {y.Length} components, map produces {OutputDimension}", nameof(y));
        }

        var scratchLength = InputDimension + (Residual?.Hidden ?? 0);
        float[]? rented = null;
        var scratch = scratchLength <= StackScratchLimit
            ? stackalloc float[scratchLength]
            : (rented = ArrayPool<float>.Shared.Rent(scratchLength)).AsSpan(0, scratchLength);
        try
        {
            ApplyCore(x, y, scratch);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Maps <paramref name="count"/> row-major vectors of <paramref name="x"/> into the rows of <paramref name="y"/>
    /// (<c>count × d_in</c> in, <c>count × d_out</c> out).
    /// </summary>
    public void ApplyBatch(ReadOnlySpan<float> x, int count, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (x.Length != (long)count * InputDimension || y.Length != (long)count * OutputDimension)
        {
            throw new ArgumentException($"batch of {count} needs {count * (long)InputDimension} inputs and {count * (long)OutputDimension} outputs, got {x.Length} and {y.Length}");
        }

        var scratch = new float[InputDimension + (Residual?.Hidden ?? 0)];
        for (var r = 0; r < count; r++)
        {
            ApplyCore(x.Slice(r * InputDimension, InputDimension), y.Slice(r * OutputDimension, OutputDimension), scratch);
        }
    }

    /// <summary>Maps a batch and returns a new row-major array of <c>count × d_out</c> values.</summary>
    public float[] ApplyBatch(ReadOnlySpan<float> x, int count)
    {
        var y = new float[(long)count * OutputDimension];
        ApplyBatch(x, count, y);
        return y;
    }

    private void ApplyCore(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch)
    {
        var z = scratch[..InputDimension];
        TensorPrimitives.Subtract(x, _inputMean, z);
        _bias.CopyTo(y);

        // y = b + Σ_i z_i · W[i,:]: row-major W makes each step a contiguous fused multiply-add over d_out.
        Gemv.AddRowCombination(z, _weights, y);

        if (Residual is { } residual)
        {
            // h = ReLU(z·A + a); y += h·B.
            var h = scratch.Slice(InputDimension, residual.Hidden);
            residual.HiddenBias.CopyTo(h);
            Gemv.AddRowCombination(z, residual.InputWeights, h);
            TensorPrimitives.Max(h, 0f, h);
            Gemv.AddRowCombination(h, residual.OutputWeights, y);
        }

        if (NormalizeOutput)
        {
            var norm = TensorPrimitives.Norm(y);
            if (norm > 0f)
            {
                TensorPrimitives.Divide(y, norm, y);
            }
        }
    }
}

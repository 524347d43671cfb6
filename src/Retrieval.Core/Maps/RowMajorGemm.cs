using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Retrieval.Core.Maps;

/// <summary>
/// Double-precision <c>C = A·B</c> on row-major arrays for the iterative map solvers. MathNet's managed provider runs
/// these d×d products (d ≤ ~1024) at well under 1 GFlop/s; an FMA register tile of 4 rows × 8 columns keeps the
/// λ-orthogonal fit at d = 384 in seconds instead of minutes. Row tiles are spread over cores for large products.
/// </summary>
internal static class RowMajorGemm
{
    private const int TileRows = 4;
    private const int TileColumns = 8;

    // The inner dimension is walked in blocks so that the panel of B a tile reads (block × 8 doubles per column tile,
    // block × n for the whole row of tiles) stays in cache when p is large (X̃ᵀX̃ with p = anchor count).
    private const int InnerBlock = 256;

    /// <summary>Computes <c>C (m×n) = A (m×p) · B (p×n)</c>; every array row-major and densely packed. <c>C</c> is overwritten.</summary>
    public static void Multiply(double[] a, double[] b, double[] c, int m, int p, int n)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (a.Length < (long)m * p || b.Length < (long)p * n || c.Length < (long)m * n)
        {
            throw new ArgumentException("an operand is smaller than its stated shape");
        }

        c.AsSpan(0, m * n).Clear();
        var rowTiles = (m + TileRows - 1) / TileRows;
        for (var blockStart = 0; blockStart < p; blockStart += InnerBlock)
        {
            var block = (blockStart, Math.Min(InnerBlock, p - blockStart));
            // Below ~2 MFlop a parallel loop costs more than it saves.
            if ((long)m * block.Item2 * n < 1_000_000 || Environment.ProcessorCount == 1)
            {
                for (var tile = 0; tile < rowTiles; tile++)
                {
                    AccumulateRowTile(a, b, c, tile * TileRows, Math.Min(TileRows, m - (tile * TileRows)), p, n, block);
                }
            }
            else
            {
                Parallel.For(0, rowTiles, tile => AccumulateRowTile(a, b, c, tile * TileRows, Math.Min(TileRows, m - (tile * TileRows)), p, n, block));
            }
        }
    }

    /// <summary>The plain triple loop; the reference the tests compare against and the path for CPUs without FMA.</summary>
    internal static void MultiplyScalar(double[] a, double[] b, double[] c, int m, int p, int n)
    {
        c.AsSpan(0, m * n).Clear();
        AccumulateScalar(a, b, c, 0, m, p, n, (0, p));
    }

    private static void AccumulateScalar(double[] a, double[] b, double[] c, int firstRow, int rows, int p, int n, (int Start, int Length) block)
    {
        for (var i = firstRow; i < firstRow + rows; i++)
        {
            var cRow = c.AsSpan(i * n, n);
            for (var k = block.Start; k < block.Start + block.Length; k++)
            {
                var aik = a[(i * p) + k];
                var bRow = b.AsSpan(k * n, n);
                for (var j = 0; j < n; j++)
                {
                    cRow[j] += aik * bRow[j];
                }
            }
        }
    }

    private static void AccumulateRowTile(double[] a, double[] b, double[] c, int firstRow, int rows, int p, int n, (int Start, int Length) block)
    {
        if (!Fma.IsSupported || !Avx.IsSupported || rows != TileRows)
        {
            AccumulateScalar(a, b, c, firstRow, rows, p, n, block);
            return;
        }

        var fullColumns = n - (n % TileColumns);
        ref var aRef = ref MemoryMarshal.GetArrayDataReference(a);
        ref var bRef = ref MemoryMarshal.GetArrayDataReference(b);
        ref var cRef = ref MemoryMarshal.GetArrayDataReference(c);
        for (var j = 0; j < fullColumns; j += TileColumns)
        {
            ref var out0 = ref Unsafe.Add(ref cRef, (firstRow * n) + j);
            var c00 = Vector256.LoadUnsafe(ref out0);
            var c01 = Vector256.LoadUnsafe(ref out0, 4);
            var c10 = Vector256.LoadUnsafe(ref out0, (nuint)n);
            var c11 = Vector256.LoadUnsafe(ref out0, (nuint)n + 4);
            var c20 = Vector256.LoadUnsafe(ref out0, (nuint)(2 * n));
            var c21 = Vector256.LoadUnsafe(ref out0, (nuint)(2 * n) + 4);
            var c30 = Vector256.LoadUnsafe(ref out0, (nuint)(3 * n));
            var c31 = Vector256.LoadUnsafe(ref out0, (nuint)(3 * n) + 4);
            ref var a0 = ref Unsafe.Add(ref aRef, firstRow * p);
            ref var a1 = ref Unsafe.Add(ref a0, p);
            ref var a2 = ref Unsafe.Add(ref a1, p);
            ref var a3 = ref Unsafe.Add(ref a2, p);
            for (var k = block.Start; k < block.Start + block.Length; k++)
            {
                ref var bk = ref Unsafe.Add(ref bRef, (k * n) + j);
                var b0 = Vector256.LoadUnsafe(ref bk);
                var b1 = Vector256.LoadUnsafe(ref bk, 4);
                var x0 = Vector256.Create(Unsafe.Add(ref a0, k));
                var x1 = Vector256.Create(Unsafe.Add(ref a1, k));
                var x2 = Vector256.Create(Unsafe.Add(ref a2, k));
                var x3 = Vector256.Create(Unsafe.Add(ref a3, k));
                c00 = Fma.MultiplyAdd(x0, b0, c00);
                c01 = Fma.MultiplyAdd(x0, b1, c01);
                c10 = Fma.MultiplyAdd(x1, b0, c10);
                c11 = Fma.MultiplyAdd(x1, b1, c11);
                c20 = Fma.MultiplyAdd(x2, b0, c20);
                c21 = Fma.MultiplyAdd(x2, b1, c21);
                c30 = Fma.MultiplyAdd(x3, b0, c30);
                c31 = Fma.MultiplyAdd(x3, b1, c31);
            }

            c00.StoreUnsafe(ref out0);
            c01.StoreUnsafe(ref out0, 4);
            c10.StoreUnsafe(ref out0, (nuint)n);
            c11.StoreUnsafe(ref out0, (nuint)n + 4);
            c20.StoreUnsafe(ref out0, (nuint)(2 * n));
            c21.StoreUnsafe(ref out0, (nuint)(2 * n) + 4);
            c30.StoreUnsafe(ref out0, (nuint)(3 * n));
            c31.StoreUnsafe(ref out0, (nuint)(3 * n) + 4);
        }

        // Remaining columns (n not a multiple of 8): scalar dot products.
        for (var i = firstRow; i < firstRow + TileRows; i++)
        {
            for (var j = fullColumns; j < n; j++)
            {
                var sum = 0.0;
                for (var k = block.Start; k < block.Start + block.Length; k++)
                {
                    sum += a[(i * p) + k] * b[(k * n) + j];
                }

                c[(i * n) + j] += sum;
            }
        }
    }
}

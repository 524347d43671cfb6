using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Retrieval.Core.Maps;

/// <summary>Conversions between row-major float32 data and MathNet double matrices, plus centring.</summary>
internal static class DoubleMatrix
{
    public static Matrix<double> FromRowMajor(ReadOnlySpan<float> values, int rows, int cols)
    {
        // MathNet dense storage is column-major.
        var storage = new double[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                storage[(j * rows) + i] = values[(i * cols) + j];
            }
        }

        return Matrix<double>.Build.Dense(rows, cols, storage);
    }

    /// <summary>
    /// <c>‖M‖_F</c> straight from the storage. MathNet 5's <c>FrobeniusNorm()</c> forms <c>M·Mᵀ</c> first, which for an
    /// n × d anchor matrix is an n × n product (70 s at n = 5000, d = 384).
    /// </summary>
    public static double FrobeniusNorm(Matrix<double> m) =>
        TensorPrimitives.Norm<double>(m.AsColumnMajorArray() ?? m.ToColumnMajorArray());

    /// <summary><c>XᵀY</c> through <see cref="RowMajorGemm"/>: MathNet's managed product runs below 1 GFlop/s.</summary>
    public static Matrix<double> TransposeThisAndMultiply(Matrix<double> x, Matrix<double> y)
    {
        if (x.RowCount != y.RowCount)
        {
            throw new ArgumentException("X and Y must have the same number of rows");
        }

        // Column-major storage of X is the row-major storage of Xᵀ.
        var product = new double[x.ColumnCount * y.ColumnCount];
        RowMajorGemm.Multiply(x.AsColumnMajorArray() ?? x.ToColumnMajorArray(), y.ToRowMajorArray(), product, x.ColumnCount, x.RowCount, y.ColumnCount);
        return Matrix<double>.Build.DenseOfRowMajor(x.ColumnCount, y.ColumnCount, product);
    }

    public static float[] ToRowMajorSingle(Matrix<double> m)
    {
        var result = new float[m.RowCount * m.ColumnCount];
        for (var i = 0; i < m.RowCount; i++)
        {
            for (var j = 0; j < m.ColumnCount; j++)
            {
                result[(i * m.ColumnCount) + j] = (float)m[i, j];
            }
        }

        return result;
    }

    public static float[] ToSingle(Vector<double> v)
    {
        var result = new float[v.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (float)v[i];
        }

        return result;
    }

    public static Vector<double> ColumnMeans(Matrix<double> x) => x.ColumnSums() / x.RowCount;

    /// <summary><c>X − 1·μᵀ</c>.</summary>
    public static Matrix<double> Centre(Matrix<double> x, Vector<double> mean)
    {
        var centred = x.Clone();
        for (var j = 0; j < x.ColumnCount; j++)
        {
            var m = mean[j];
            for (var i = 0; i < x.RowCount; i++)
            {
                centred[i, j] -= m;
            }
        }

        return centred;
    }
}

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

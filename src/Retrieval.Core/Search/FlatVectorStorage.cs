namespace Retrieval.Core.Search;

/// <summary>
/// Contiguous row-major float32 storage: row r occupies [r·d, (r+1)·d) of one array, so scans stream memory.
/// Not thread-safe: the owner serializes writers against readers.
/// </summary>
public sealed class FlatVectorStorage
{
    private float[] _data;

    public FlatVectorStorage(int dimension, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _data = new float[(long)Math.Max(initialCapacity, 1) * dimension];
    }

    public int Dimension { get; }

    public int Count { get; private set; }

    /// <summary>The backing array; rows beyond <see cref="Count"/> are garbage.</summary>
    public float[] RawData => _data;

    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        return _data.AsSpan(row * Dimension, Dimension);
    }

    /// <summary>Appends a row and returns its number.</summary>
    public int Add(ReadOnlySpan<float> vector)
    {
        CheckDimension(vector);
        EnsureCapacity(Count + 1);
        vector.CopyTo(_data.AsSpan(Count * Dimension, Dimension));
        return Count++;
    }

    public void Set(int row, ReadOnlySpan<float> vector)
    {
        CheckDimension(vector);
        if ((uint)row >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        vector.CopyTo(_data.AsSpan(row * Dimension, Dimension));
    }

    /// <summary>
    /// Removes a row by moving the last row into its place. Returns the old number of the moved row
    /// (equal to <paramref name="row"/> when the removed row was the last one).
    /// </summary>
    public int RemoveBySwappingLast(int row)
    {
        if ((uint)row >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        var last = Count - 1;
        if (row != last)
        {
            _data.AsSpan(last * Dimension, Dimension).CopyTo(_data.AsSpan(row * Dimension, Dimension));
        }

        Count--;
        return last;
    }

    public void Clear() => Count = 0;

    private void CheckDimension(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"vector has {vector.Length} components, storage has dimension {Dimension}", nameof(vector));
        }
    }

    private void EnsureCapacity(int rows)
    {
        var needed = (long)rows * Dimension;
        if (needed <= _data.Length)
        {
            return;
        }

        var grown = Math.Max(needed, Math.Min((long)_data.Length * 2, Array.MaxLength));
        if (grown > Array.MaxLength)
        {
            throw new InvalidOperationException($"flat storage cannot hold {rows} rows of dimension {Dimension}");
        }

        Array.Resize(ref _data, (int)grown);
    }
}

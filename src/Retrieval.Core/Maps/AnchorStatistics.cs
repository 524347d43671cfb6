using System.Buffers.Binary;
using Retrieval.Core.Errors;

namespace Retrieval.Core.Maps;

/// <summary>
/// Sufficient statistics of a stream of new→old anchor pairs, in double: the count, both means, the centred
/// cross-covariance <c>C = Σ(xₙ − μₙ)(xₒ − μₒ)ᵀ</c> and the centred Gram matrices <c>Gₙ = Σ(xₙ − μₙ)(xₙ − μₙ)ᵀ</c> and
/// <c>Gₒ</c>. The linear kinds fit from these alone (<see cref="StatisticsMapFitter"/>), so a migration learns from every
/// backfilled pair without keeping the pairs.
/// </summary>
/// <remarks>
/// Batches merge by the parallel (Chan et al.) update: the batch's own centred moments plus the correction
/// <c>δₙδₒᵀ·n_a·n_b/(n_a + n_b)</c> for the shift between the two means. Keeping centred moments rather than raw sums avoids
/// the cancellation of <c>Σxxᵀ − nμμᵀ</c> when the means are large next to the spread. Not thread-safe: the engine adds
/// under the collection's write gate and fits from a <see cref="Clone"/>.
/// </remarks>
public sealed class AnchorStatistics
{
    /// <summary>The format version <see cref="Serialize"/> writes.</summary>
    public const ushort CurrentVersion = 1;

    private const int HeaderLength = 32;
    private static ReadOnlySpan<byte> Magic => "RSTA"u8;

    private readonly double[] _meanNew;
    private readonly double[] _meanOld;
    private readonly double[] _cross;
    private readonly double[] _gramNew;
    private readonly double[] _gramOld;

    /// <summary>Empty statistics for pairs of the given dimensions.</summary>
    public AnchorStatistics(int newDimension, int oldDimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(newDimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(oldDimension, 1);
        NewDimension = newDimension;
        OldDimension = oldDimension;
        _meanNew = new double[newDimension];
        _meanOld = new double[oldDimension];
        _cross = new double[newDimension * oldDimension];
        _gramNew = new double[newDimension * newDimension];
        _gramOld = new double[oldDimension * oldDimension];
    }

    /// <summary><c>d_n</c>.</summary>
    public int NewDimension { get; }

    /// <summary><c>d_o</c>.</summary>
    public int OldDimension { get; }

    /// <summary>Pairs added.</summary>
    public long Count { get; private set; }

    /// <summary>Mean of the new side, <c>d_n</c>.</summary>
    public ReadOnlySpan<double> MeanNew => _meanNew;

    /// <summary>Mean of the old side, <c>d_o</c>.</summary>
    public ReadOnlySpan<double> MeanOld => _meanOld;

    /// <summary>Centred cross-covariance (unnormalized), row-major <c>d_n × d_o</c>.</summary>
    public ReadOnlySpan<double> Cross => _cross;

    /// <summary>Centred Gram matrix of the new side (unnormalized), row-major <c>d_n × d_n</c>.</summary>
    public ReadOnlySpan<double> GramNew => _gramNew;

    /// <summary>Centred Gram matrix of the old side (unnormalized), row-major <c>d_o × d_o</c>.</summary>
    public ReadOnlySpan<double> GramOld => _gramOld;

    /// <summary>Adds every pair of <paramref name="pairs"/> (already checked finite by <see cref="AnchorSet"/>).</summary>
    public void Add(AnchorSet pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.NewDimension != NewDimension || pairs.OldDimension != OldDimension)
        {
            throw new ArgumentException($"pairs are {pairs.NewDimension}→{pairs.OldDimension}, statistics {NewDimension}→{OldDimension}", nameof(pairs));
        }

        var b = pairs.Count;
        if (b == 0)
        {
            return;
        }

        var dn = NewDimension;
        var dOld = OldDimension;

        // The batch's means, then its centred rows transposed (d × b, row-major) for the products.
        var batchMeanNew = ColumnMeans(pairs.New, b, dn);
        var batchMeanOld = ColumnMeans(pairs.Old, b, dOld);
        var newT = CentredTransposed(pairs.New, b, dn, batchMeanNew);
        var oldT = CentredTransposed(pairs.Old, b, dOld, batchMeanOld);
        var newRows = Transpose(newT, dn, b);
        var oldRows = Transpose(oldT, dOld, b);
        var cross = new double[dn * dOld];
        var gramNew = new double[dn * dn];
        var gramOld = new double[dOld * dOld];
        RowMajorGemm.Multiply(newT, oldRows, cross, dn, b, dOld);
        RowMajorGemm.Multiply(newT, newRows, gramNew, dn, b, dn);
        RowMajorGemm.Multiply(oldT, oldRows, gramOld, dOld, b, dOld);

        var na = (double)Count;
        var total = na + b;
        var weight = na * b / total;
        var deltaNew = new double[dn];
        var deltaOld = new double[dOld];
        for (var i = 0; i < dn; i++)
        {
            deltaNew[i] = batchMeanNew[i] - _meanNew[i];
        }

        for (var j = 0; j < dOld; j++)
        {
            deltaOld[j] = batchMeanOld[j] - _meanOld[j];
        }

        Merge(_cross, cross, deltaNew, deltaOld, weight);
        Merge(_gramNew, gramNew, deltaNew, deltaNew, weight);
        Merge(_gramOld, gramOld, deltaOld, deltaOld, weight);
        for (var i = 0; i < dn; i++)
        {
            _meanNew[i] += deltaNew[i] * b / total;
        }

        for (var j = 0; j < dOld; j++)
        {
            _meanOld[j] += deltaOld[j] * b / total;
        }

        Count += b;
    }

    /// <summary>An independent copy (fits run on a copy while the stream goes on).</summary>
    public AnchorStatistics Clone()
    {
        var copy = new AnchorStatistics(NewDimension, OldDimension) { Count = Count };
        _meanNew.CopyTo(copy._meanNew, 0);
        _meanOld.CopyTo(copy._meanOld, 0);
        _cross.CopyTo(copy._cross, 0);
        _gramNew.CopyTo(copy._gramNew, 0);
        _gramOld.CopyTo(copy._gramOld, 0);
        return copy;
    }

    /// <summary>
    /// The binary form, little-endian:
    /// <code>
    /// "RSTA" | u16 version (1) | u16 reserved | i32 d_n | i32 d_o | i64 count | u64 reserved
    /// f64 μₙ[d_n] | f64 μₒ[d_o] | f64 C[d_n·d_o] | f64 Gₙ[d_n·d_n] | f64 Gₒ[d_o·d_o] | u32 CRC-32 of every preceding byte
    /// </code>
    /// </summary>
    public byte[] Serialize()
    {
        var doubles = DoubleCount(NewDimension, OldDimension);
        var bytes = new byte[HeaderLength + (doubles * 8) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], CurrentVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], NewDimension);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], OldDimension);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], Count);
        var offset = HeaderLength;
        foreach (var part in new[] { _meanNew, _meanOld, _cross, _gramNew, _gramOld })
        {
            foreach (var value in part)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(span[offset..], value);
                offset += 8;
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], Crc32.Compute(span[..offset]));
        return bytes;
    }

    /// <summary>Decodes what <see cref="Serialize"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Wrong magic or version, a bad shape, truncated data or a checksum mismatch.</exception>
    public static AnchorStatistics Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength + 4 || !data[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not anchor statistics (bad magic or too short)");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != CurrentVersion)
        {
            throw new InvalidDataException($"anchor statistics format version {version} is not supported (this build reads {CurrentVersion})");
        }

        var dn = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        var dOld = BinaryPrimitives.ReadInt32LittleEndian(data[12..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(data[16..]);
        if (dn < 1 || dOld < 1 || dn > 65_536 || dOld > 65_536 || count < 0)
        {
            throw new InvalidDataException($"anchor statistics header is corrupt ({dn}→{dOld}, {count} pairs)");
        }

        var length = HeaderLength + (DoubleCount(dn, dOld) * 8L) + 4;
        if (data.Length != length)
        {
            throw new InvalidDataException($"anchor statistics are {data.Length} bytes, expected {length}");
        }

        var body = (int)length - 4;
        if (Crc32.Compute(data[..body]) != BinaryPrimitives.ReadUInt32LittleEndian(data[body..]))
        {
            throw new InvalidDataException("anchor statistics checksum mismatch");
        }

        var statistics = new AnchorStatistics(dn, dOld) { Count = count };
        var offset = HeaderLength;
        foreach (var part in new[] { statistics._meanNew, statistics._meanOld, statistics._cross, statistics._gramNew, statistics._gramOld })
        {
            for (var i = 0; i < part.Length; i++)
            {
                part[i] = BinaryPrimitives.ReadDoubleLittleEndian(data[offset..]);
                offset += 8;
            }
        }

        return statistics;
    }

    /// <summary>The statistics of <paramref name="pairs"/> alone.</summary>
    public static AnchorStatistics Of(AnchorSet pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var statistics = new AnchorStatistics(pairs.NewDimension, pairs.OldDimension);
        statistics.Add(pairs);
        return statistics;
    }

    /// <summary>Checks the statistics can join pairs of the given spaces.</summary>
    /// <exception cref="RetrievalException">FailedPrecondition when the dimensions differ.</exception>
    public void RequireShape(int newDimension, int oldDimension)
    {
        if (newDimension != NewDimension || oldDimension != OldDimension)
        {
            throw RetrievalException.Precondition($"anchor statistics are {NewDimension}→{OldDimension}, the spaces {newDimension}→{oldDimension}");
        }
    }

    private static int DoubleCount(int dn, int dOld) => dn + dOld + (dn * dOld) + (dn * dn) + (dOld * dOld);

    /// <summary><c>target += batch + weight·a·bᵀ</c>.</summary>
    private static void Merge(double[] target, double[] batch, double[] a, double[] b, double weight)
    {
        var columns = b.Length;
        for (var i = 0; i < a.Length; i++)
        {
            var scaled = a[i] * weight;
            var row = i * columns;
            for (var j = 0; j < columns; j++)
            {
                target[row + j] += batch[row + j] + (scaled * b[j]);
            }
        }
    }

    private static double[] ColumnMeans(ReadOnlySpan<float> rows, int count, int dimension)
    {
        var mean = new double[dimension];
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (var j = 0; j < dimension; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < dimension; j++)
        {
            mean[j] /= count;
        }

        return mean;
    }

    /// <summary>The centred rows transposed: <c>d × count</c>, row-major.</summary>
    private static double[] CentredTransposed(ReadOnlySpan<float> rows, int count, int dimension, double[] mean)
    {
        var result = new double[dimension * count];
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (var j = 0; j < dimension; j++)
            {
                result[(j * count) + r] = row[j] - mean[j];
            }
        }

        return result;
    }

    private static double[] Transpose(double[] source, int rows, int columns)
    {
        var result = new double[rows * columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                result[(j * rows) + i] = source[(i * columns) + j];
            }
        }

        return result;
    }
}

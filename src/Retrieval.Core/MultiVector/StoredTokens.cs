using System.Buffers;
using System.Runtime.InteropServices;

namespace Retrieval.Core.MultiVector;

/// <summary>
/// An item's kept token vectors in the precision its space stores them in (<see cref="TokenPrecision"/>): what the
/// exact Chamfer rerank scores against and what reads and snapshots return. Immutable; safe to share between threads.
/// </summary>
/// <remarks>
/// Scoring decodes the rows into a pooled float buffer and runs the float32 Chamfer kernel on it: decoding is O(n·d)
/// against the kernel's O(n_q·n·d), and the score is then exactly the Chamfer score of the decoded rows
/// (<see cref="Decode"/>), which is what a reader of the stored vectors sees.
/// </remarks>
public sealed class StoredTokens
{
    private readonly float[]? _float32;
    private readonly Half[]? _float16;
    private readonly sbyte[]? _int8;
    private readonly float[]? _scales;

    private StoredTokens(TokenPrecision precision, int count, int dimension, float[]? float32, Half[]? float16, sbyte[]? int8, float[]? scales)
    {
        Precision = precision;
        Count = count;
        Dimension = dimension;
        _float32 = float32;
        _float16 = float16;
        _int8 = int8;
        _scales = scales;
    }

    public TokenPrecision Precision { get; }

    /// <summary>Number of token vectors.</summary>
    public int Count { get; }

    /// <summary>Components per token vector.</summary>
    public int Dimension { get; }

    /// <summary>Bytes the stored rows take (components, plus the per-token scales of int8).</summary>
    public long Bytes => BytesFor(Precision, Count, Dimension);

    /// <summary>Bytes <paramref name="count"/> tokens of <paramref name="dimension"/> components take in <paramref name="precision"/>.</summary>
    public static long BytesFor(TokenPrecision precision, long count, int dimension) => precision switch
    {
        TokenPrecision.Float16 => count * dimension * 2,
        TokenPrecision.ScaledInt8 => count * (dimension + sizeof(float)),
        _ => count * dimension * sizeof(float),
    };

    /// <summary>Stores <paramref name="tokens"/> in <paramref name="precision"/>.</summary>
    public static StoredTokens Encode(TokenMatrix tokens, TokenPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var values = tokens.Values;
        switch (precision)
        {
            case TokenPrecision.Full:
                return new StoredTokens(precision, tokens.Count, tokens.Dimension, values.ToArray(), null, null, null);
            case TokenPrecision.Float16:
                var halves = new Half[values.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    halves[i] = (Half)values[i];
                }

                return new StoredTokens(precision, tokens.Count, tokens.Dimension, null, halves, null, null);
            case TokenPrecision.ScaledInt8:
                var d = tokens.Dimension;
                var codes = new sbyte[values.Length];
                var scales = new float[tokens.Count];
                for (var t = 0; t < tokens.Count; t++)
                {
                    var row = values.Slice(t * d, d);
                    var largest = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row);
                    var scale = MathF.Abs(largest) / 127f;
                    scales[t] = scale;
                    if (scale == 0f)
                    {
                        continue;
                    }

                    for (var k = 0; k < d; k++)
                    {
                        codes[(t * d) + k] = (sbyte)Math.Clamp(MathF.Round(row[k] / scale), -127f, 127f);
                    }
                }

                return new StoredTokens(precision, tokens.Count, d, null, null, codes, scales);
            default:
                throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown token precision");
        }
    }

    /// <summary>The stored rows as float32, row-major (the exact values the rerank scores).</summary>
    public TokenMatrix Decode()
    {
        if (_float32 is not null)
        {
            return TokenMatrix.Wrap(_float32, Dimension);
        }

        var values = new float[Count * Dimension];
        DecodeInto(values);
        return TokenMatrix.Wrap(values, Dimension);
    }

    /// <summary>CH(<paramref name="query"/>, these tokens) on the stored values.</summary>
    public float Score(TokenMatrix query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_float32 is not null)
        {
            return Chamfer.Score(query, TokenMatrix.Wrap(_float32, Dimension));
        }

        var length = Count * Dimension;
        var buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            DecodeInto(buffer.AsSpan(0, length));
            return Chamfer.Score(query, buffer.AsSpan(0, length), Count, Dimension);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The raw stored bytes (components, then int8's per-token scales), for snapshots.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (Precision)
        {
            case TokenPrecision.Full:
                writer.Write(MemoryMarshal.AsBytes(_float32.AsSpan()));
                break;
            case TokenPrecision.Float16:
                writer.Write(MemoryMarshal.AsBytes(_float16.AsSpan()));
                break;
            default:
                writer.Write(MemoryMarshal.AsBytes(_int8.AsSpan()));
                writer.Write(MemoryMarshal.AsBytes(_scales.AsSpan()));
                break;
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote (<see cref="BytesFor"/> bytes); checks every value is finite.</summary>
    /// <exception cref="InvalidDataException">Too few bytes, or a NaN/∞ value or scale.</exception>
    public static StoredTokens ReadFrom(BinaryReader reader, TokenPrecision precision, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var expected = checked((int)BytesFor(precision, count, dimension));
        var bytes = reader.ReadBytes(expected);
        if (bytes.Length != expected)
        {
            throw new InvalidDataException($"stored token vectors end after {bytes.Length} of {expected} bytes");
        }

        var length = count * dimension;
        StoredTokens stored = precision switch
        {
            TokenPrecision.Full => new(precision, count, dimension, MemoryMarshal.Cast<byte, float>(bytes).ToArray(), null, null, null),
            TokenPrecision.Float16 => new(precision, count, dimension, null, MemoryMarshal.Cast<byte, Half>(bytes).ToArray(), null, null),
            TokenPrecision.ScaledInt8 => new(precision, count, dimension, null, null, MemoryMarshal.Cast<byte, sbyte>(bytes.AsSpan(0, length)).ToArray(), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(length)).ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown token precision"),
        };
        foreach (var value in stored.Decode().Values)
        {
            if (!float.IsFinite(value))
            {
                throw new InvalidDataException("stored token vectors hold a NaN or infinite value");
            }
        }

        return stored;
    }

    private void DecodeInto(Span<float> values)
    {
        if (_float32 is not null)
        {
            _float32.CopyTo(values);
        }
        else if (_float16 is not null)
        {
            System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(_float16, values);
        }
        else
        {
            var d = Dimension;
            for (var t = 0; t < Count; t++)
            {
                var scale = _scales![t];
                for (var k = 0; k < d; k++)
                {
                    values[(t * d) + k] = _int8![(t * d) + k] * scale;
                }
            }
        }
    }
}

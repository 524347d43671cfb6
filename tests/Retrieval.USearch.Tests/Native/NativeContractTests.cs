using System.Runtime.InteropServices;

namespace Retrieval.USearch.Tests.Native;

/// <summary>
/// The C ABI itself (<c>usearch.h</c> of the packaged <c>libusearch_c</c>), called through <see cref="NativeMethods"/>
/// with no managed wrapper in between: handles, sizes, the error out-parameter and the serialized buffer.
/// </summary>
public sealed unsafe class NativeContractTests
{
    private const int Dimension = 4;

    [Fact]
    public void Init_ValidOptions_ReturnsIndexAndNoError()
    {
        using var index = Init(NativeMethods.MetricL2sq);

        Assert.False(index.IsInvalid);
        Assert.Equal(0u, (uint)NativeMethods.usearch_size(index, out var sizeError));
        Assert.Equal(0, sizeError);
        Assert.Equal((nuint)Dimension, NativeMethods.usearch_dimensions(index, out var dimensionError));
        Assert.Equal(0, dimensionError);
    }

    [Fact]
    public void Add_AfterReserve_GrowsSizeAndSearchFindsTheKey()
    {
        using var index = Init(NativeMethods.MetricL2sq);
        NativeMethods.usearch_reserve(index, 8, out var reserveError);
        Assert.Equal(0, reserveError);

        var vector = stackalloc float[] { 1, 2, 3, 4 };
        NativeMethods.usearch_add(index, 42, vector, NativeMethods.ScalarF32, out var addError);
        var keys = stackalloc ulong[2];
        var distances = stackalloc float[2];
        var found = NativeMethods.usearch_search(index, vector, NativeMethods.ScalarF32, 2, keys, distances, out var searchError);

        Assert.Equal(0, addError);
        Assert.Equal(0, searchError);
        Assert.Equal(1u, (uint)NativeMethods.usearch_size(index, out _));
        Assert.Equal(1u, (uint)found);
        Assert.Equal(42ul, keys[0]);
        Assert.Equal(0f, distances[0]);
    }

    [Fact]
    public void Add_WithoutReserve_SetsErrorMessage()
    {
        using var index = Init(NativeMethods.MetricL2sq);

        var vector = stackalloc float[] { 1, 2, 3, 4 };
        NativeMethods.usearch_add(index, 1, vector, NativeMethods.ScalarF32, out var error);

        Assert.NotEqual(0, error);
        Assert.False(string.IsNullOrEmpty(Marshal.PtrToStringUTF8(error)));
    }

    [Fact]
    public void SaveBufferThenLoadBuffer_RoundTripsSizeAndSearch()
    {
        using var source = Init(NativeMethods.MetricIp);
        NativeMethods.usearch_reserve(source, 4, out _);
        var a = stackalloc float[] { 1, 0, 0, 0 };
        var b = stackalloc float[] { 0, 1, 0, 0 };
        NativeMethods.usearch_add(source, 7, a, NativeMethods.ScalarF32, out _);
        NativeMethods.usearch_add(source, 9, b, NativeMethods.ScalarF32, out _);

        var length = NativeMethods.usearch_serialized_length(source, out var lengthError);
        var buffer = new byte[(int)length];
        using var copy = Init(NativeMethods.MetricIp);
        fixed (byte* bytes = buffer)
        {
            NativeMethods.usearch_save_buffer(source, bytes, length, out var saveError);
            NativeMethods.usearch_load_buffer(copy, bytes, length, out var loadError);
            Assert.Equal(0, saveError);
            Assert.Equal(0, loadError);
        }

        var key = stackalloc ulong[1];
        var distance = stackalloc float[1];
        var found = NativeMethods.usearch_search(copy, b, NativeMethods.ScalarF32, 1, key, distance, out _);
        Assert.Equal(0, lengthError);
        Assert.True(length > 0);
        Assert.Equal(2u, (uint)NativeMethods.usearch_size(copy, out _));
        Assert.Equal(1u, (uint)found);
        Assert.Equal(9ul, key[0]);
    }

    [Fact]
    public void LoadBuffer_Garbage_SetsErrorMessage()
    {
        using var index = Init(NativeMethods.MetricL2sq);
        var garbage = new byte[64];
        new Random(1).NextBytes(garbage);

        nint error;
        fixed (byte* bytes = garbage)
        {
            NativeMethods.usearch_load_buffer(index, bytes, (nuint)garbage.Length, out error);
        }

        Assert.NotEqual(0, error);
        Assert.False(string.IsNullOrEmpty(Marshal.PtrToStringUTF8(error)));
    }

    private static UsearchIndexHandle Init(int metric)
    {
        var options = new NativeMethods.InitOptions
        {
            MetricKind = metric,
            Quantization = NativeMethods.ScalarF32,
            Dimensions = Dimension,
            Connectivity = 8,
            ExpansionAdd = 32,
            ExpansionSearch = 16,
        };
        var pointer = NativeMethods.usearch_init(&options, out var error);
        Assert.Equal(0, error);
        Assert.NotEqual(0, pointer);
        return new UsearchIndexHandle(pointer);
    }
}

namespace Retrieval.USearch;

public sealed partial class UsearchIndex
{
    /// <summary>The graph and its vectors in USearch's own format.</summary>
    public unsafe byte[] Serialize()
    {
        var length = NativeMethods.usearch_serialized_length(_handle, out var error);
        UsearchException.ThrowIfFailed(error);
        var buffer = new byte[checked((int)length)];
        fixed (byte* b = buffer)
        {
            NativeMethods.usearch_save_buffer(_handle, b, length, out error);
        }

        UsearchException.ThrowIfFailed(error);
        return buffer;
    }

    /// <summary>
    /// Reads a graph produced by <see cref="Serialize"/>. The metric and scalar kind must be those it was built with:
    /// USearch's buffer carries them too and refuses a mismatch in dimension.
    /// </summary>
    public static unsafe UsearchIndex Deserialize(
        ReadOnlySpan<byte> data,
        int dimension,
        UsearchMetric metric,
        UsearchScalar scalar,
        int connectivity,
        int expansionSearch,
        int searchThreads)
    {
        var index = Create(dimension, metric, scalar, connectivity, expansionAdd: 1, expansionSearch, searchThreads);
        try
        {
            fixed (byte* b = data)
            {
                NativeMethods.usearch_load_buffer(index._handle, b, (nuint)data.Length, out var error);
                UsearchException.ThrowIfFailed(error);
            }

            var loadedDimension = (int)NativeMethods.usearch_dimensions(index._handle, out var dimensionError);
            UsearchException.ThrowIfFailed(dimensionError);
            if (loadedDimension != dimension)
            {
                throw new UsearchException($"the serialized graph has dimension {loadedDimension}, expected {dimension}");
            }

            // Loading replaces the configuration: restore the search expansion and thread slots.
            NativeMethods.usearch_change_expansion_search(index._handle, (nuint)expansionSearch, out var expansionError);
            UsearchException.ThrowIfFailed(expansionError);
            index.SetThreads(1, searchThreads);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }
}

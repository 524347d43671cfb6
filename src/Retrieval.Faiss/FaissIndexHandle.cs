using Microsoft.Win32.SafeHandles;

namespace Retrieval.Faiss;

/// <summary>
/// Owns an <c>rf_index*</c>. The marshaller add-refs the handle for the duration of every native
/// call, so disposing a <see cref="FaissIndex"/> while another thread is inside a search defers the
/// free until that search returns instead of freeing memory under it.
/// </summary>
internal sealed class FaissIndexHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    // Called by the LibraryImport marshaller for `out FaissIndexHandle`.
    public FaissIndexHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.rf_index_free(handle);
        return true;
    }
}

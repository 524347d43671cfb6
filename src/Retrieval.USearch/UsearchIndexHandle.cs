using Microsoft.Win32.SafeHandles;

namespace Retrieval.USearch;

/// <summary>
/// Owns a <c>usearch_index_t</c>. The marshaller add-refs the handle for every native call, so disposing an index
/// while a search is inside the library defers the free until that search returns.
/// </summary>
internal sealed class UsearchIndexHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public UsearchIndexHandle(nint handle)
        : base(ownsHandle: true)
    {
        SetHandle(handle);
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.usearch_free(handle, out _);
        return true;
    }
}

using System.Runtime.InteropServices;

namespace Retrieval.USearch;

/// <summary>A failed call into USearch, carrying its own message.</summary>
public sealed class UsearchException : Exception
{
    public UsearchException()
    {
    }

    public UsearchException(string message)
        : base(message)
    {
    }

    public UsearchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when a call set its error out-parameter (a static string that must not be freed).</summary>
    internal static void ThrowIfFailed(nint error)
    {
        if (error != 0)
        {
            throw new UsearchException(Marshal.PtrToStringUTF8(error) ?? "USearch call failed");
        }
    }
}

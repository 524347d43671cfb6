using System.Runtime.InteropServices;

namespace Retrieval.Faiss;

/// <summary>A failed call into the Faiss shim, carrying Faiss's own message.</summary>
public sealed class FaissException : Exception
{
    public FaissException()
    {
    }

    public FaissException(string message)
        : base(message)
    {
    }

    public FaissException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FaissException(FaissErrorCode errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The shim's return code (an <c>RF_ERR_*</c> value).</summary>
    public FaissErrorCode ErrorCode { get; }

    /// <summary>
    /// Throws for a non-zero return code. Must run on the thread that made the call, right after it:
    /// the message lives in native thread-local storage.
    /// </summary>
    internal static void ThrowIfFailed(int code)
    {
        if (code != NativeMethods.RF_OK)
        {
            throw FromLastError(code);
        }
    }

    private static FaissException FromLastError(int code)
    {
        var message = Marshal.PtrToStringUTF8(NativeMethods.rf_last_error());
        return new FaissException((FaissErrorCode)code, string.IsNullOrEmpty(message) ? $"Faiss call failed with code {code}" : message);
    }
}

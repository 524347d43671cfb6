namespace Retrieval.Faiss;

/// <summary>Return codes of the native shim (<c>RF_ERR_*</c> in <c>retrieval_faiss.h</c>).</summary>
public enum FaissErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>A non-standard C++ exception.</summary>
    Unknown = -1,

    /// <summary>Faiss threw <c>faiss::FaissException</c>; the message is Faiss's.</summary>
    Faiss = -2,

    /// <summary><c>std::bad_alloc</c>.</summary>
    OutOfMemory = -3,

    /// <summary>Another <c>std::exception</c>.</summary>
    StandardException = -4,

    /// <summary>The shim rejected an argument before calling Faiss.</summary>
    InvalidArgument = -5,
}

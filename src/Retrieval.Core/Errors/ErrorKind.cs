namespace Retrieval.Core.Errors;

/// <summary>Transport-neutral error categories; each maps one-to-one to a gRPC status code.</summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    ResourceExhausted,
    Unavailable,
    Internal,
}

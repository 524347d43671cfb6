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

    /// <summary>A concurrent change on another node won the race (a stale definition); nothing changed, retry.</summary>
    Aborted,
    Internal,
}

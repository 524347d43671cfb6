namespace Retrieval.Core.Errors;

/// <summary>
/// Base of every error the engine reports to a caller. Transports map <see cref="Kind"/> to a gRPC status (and through
/// JSON transcoding to an HTTP code); the message is shown to the caller. An invalid argument carries the field at
/// fault as data (<see cref="Path"/>) and the <see cref="Reason"/> apart, so that each transport names the field in
/// its own wire syntax.
/// </summary>
public sealed class RetrievalException : Exception
{
    /// <summary>
    /// An error of <paramref name="kind"/> that names no field, for callers that keep the <paramref name="inner"/> cause;
    /// the factory methods cover the rest.
    /// </summary>
    public RetrievalException(ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Reason = message;
    }

    private RetrievalException(ErrorKind kind, string reason, FieldPath? path)
        : base(path is null || path.IsRoot ? reason : $"{path}: {reason}")
    {
        Kind = kind;
        Reason = reason;
        Path = path;
    }

    /// <summary>What went wrong, in transport-neutral terms.</summary>
    public ErrorKind Kind { get; }

    /// <summary>The request field at fault, when one is (invalid arguments).</summary>
    public FieldPath? Path { get; }

    /// <summary>What is wrong, without the field: the whole message when there is no <see cref="Path"/>.</summary>
    public string Reason { get; }

    /// <summary>An invalid argument: the value at <paramref name="path"/> breaks the rule that <paramref name="reason"/> states.</summary>
    public static RetrievalException Invalid(FieldPath path, string reason)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new(ErrorKind.InvalidArgument, reason, path);
    }

    /// <summary>The thing <paramref name="what"/> names does not exist.</summary>
    public static RetrievalException NotFound(string what) => new(ErrorKind.NotFound, what);

    /// <summary>The thing <paramref name="what"/> names exists already.</summary>
    public static RetrievalException AlreadyExists(string what) => new(ErrorKind.AlreadyExists, what);

    /// <summary>The system is not in the state the call needs, as <paramref name="what"/> says.</summary>
    public static RetrievalException Precondition(string what) => new(ErrorKind.FailedPrecondition, what);

    /// <summary>A limit is reached, as <paramref name="what"/> says.</summary>
    public static RetrievalException Exhausted(string what) => new(ErrorKind.ResourceExhausted, what);

    /// <summary>The service cannot answer now, as <paramref name="what"/> says.</summary>
    public static RetrievalException Unavailable(string what) => new(ErrorKind.Unavailable, what);

    /// <summary>
    /// A change lost a race with another node's change to the same collection (its definition or open migration moved
    /// on meanwhile): nothing was committed, and the same request succeeds when sent again (gRPC ABORTED, HTTP 409).
    /// </summary>
    public static RetrievalException Aborted(string what) => new(ErrorKind.Aborted, what);
}

namespace Retrieval.Core.Errors;

/// <summary>
/// Base of every error the engine reports to a caller. Transports map <see cref="Kind"/> to a
/// gRPC status (and through JSON transcoding to an HTTP code); the message is shown to the caller.
/// </summary>
public class RetrievalException : Exception
{
    public RetrievalException(ErrorKind kind, string message, string? field = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Field = field;
    }

    /// <summary>What went wrong, in transport-neutral terms.</summary>
    public ErrorKind Kind { get; }

    /// <summary>The request field at fault (proto JSON name path, e.g. <c>items[3].vectors.v1</c>), when one is.</summary>
    public string? Field { get; }

    public static RetrievalException Invalid(string field, string message) =>
        new(ErrorKind.InvalidArgument, $"{field}: {message}", field);

    public static RetrievalException NotFound(string what) => new(ErrorKind.NotFound, what);

    public static RetrievalException AlreadyExists(string what) => new(ErrorKind.AlreadyExists, what);

    public static RetrievalException Precondition(string what) => new(ErrorKind.FailedPrecondition, what);

    public static RetrievalException Exhausted(string what) => new(ErrorKind.ResourceExhausted, what);

    public static RetrievalException Unavailable(string what) => new(ErrorKind.Unavailable, what);
}

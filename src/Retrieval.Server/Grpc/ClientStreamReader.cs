using Grpc.Core;

namespace Retrieval.Server.Grpc;

/// <summary>
/// A streaming call's request stream as <see cref="ErrorInterceptor"/> hands it to the service: an
/// <see cref="IOException"/> while reading the client's messages (Kestrel's "The client reset the request stream", or
/// the connection dropping) is the client leaving, and is rethrown marked as such, so that no service needs to tell it
/// apart from a fault of its own.
/// </summary>
internal sealed class ClientStreamReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
{
    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MoveNext(cancellationToken);
        }
        catch (IOException e)
        {
            throw new ClientStreamReader.ClientLeftException(e);
        }
    }
}

/// <summary>The non-generic home of <see cref="ClientLeftException"/>.</summary>
internal static class ClientStreamReader
{
    /// <summary>The client's request stream ended abnormally: the client reset the call or lost its connection.</summary>
    internal sealed class ClientLeftException(IOException inner) : Exception("the client left the call: " + inner.Message, inner);
}

using System.Data.Common;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Turns engine errors into gRPC statuses (JSON transcoding then maps them to HTTP codes). Anything else is
/// logged and reported as INTERNAL without leaking its details. Every streaming method's request stream is read through
/// <see cref="ClientStreamReader{T}"/>, so a client that resets its stream is logged as the client leaving, whichever
/// method it called.
/// </summary>
internal sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(new ClientStreamReader<TRequest>(requestStream), context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(new ClientStreamReader<TRequest>(requestStream), responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    private RpcException Translate(Exception exception, ServerCallContext context)
    {
        if (exception is RetrievalException retrieval)
        {
            return new RpcException(new Status(ToStatusCode(retrieval.Kind), FieldPathRenderer.MessageOf(retrieval)));
        }

        if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }

        if (StorageFullFailure.Find(exception) is { } full)
        {
            LogStorageFull(logger, context.Method, full.Message);
            return new RpcException(new Status(StatusCode.ResourceExhausted, StorageFullFailure.Message));
        }

        // A client that resets its stream surfaces as an IOException: from the request reader (marked by
        // ClientStreamReader whoever called it, the call's token not always cancelled yet), or from writing a response
        // once the call is aborted. The client's doing, not a server fault, so no error-level stack trace (what it had
        // sent before is committed). An IOException thrown by Kestrel's own transport code counts too.
        if (exception is ClientStreamReader.ClientLeftException left)
        {
            LogClientGone(logger, context.Method, left.InnerException!.Message);
            return new RpcException(new Status(StatusCode.Cancelled, "the client reset the stream"));
        }

        if (exception is IOException && (context.CancellationToken.IsCancellationRequested || ThrownByKestrel(exception)))
        {
            LogClientGone(logger, context.Method, exception.Message);
            return new RpcException(new Status(StatusCode.Cancelled, "the client reset the stream"));
        }

        // A write the store could not finish for want of a connection: refused, and the client told whether it may have
        // committed all the same (docs/reliability.md, store outage).
        if (exception is StoreUnavailableException unavailable)
        {
            LogStoreUnavailable(logger, context.Method, unavailable.Message);
            return new RpcException(new Status(StatusCode.Unavailable, StoreUnavailableDetail(unavailable.Outcome)));
        }

        // The store of record could not be reached (the driver marks the failure transient: connection refused or lost,
        // the server shutting down, a timeout). A later retry may succeed, which is what UNAVAILABLE tells a client; the
        // indexes apply a batch only after its commit returned, so a refused batch is not in them.
        if (TransientStoreFailure(exception) is { } store)
        {
            LogStoreUnavailable(logger, context.Method, store.Message);
            return new RpcException(new Status(StatusCode.Unavailable, "store: the store of record is unavailable; retry later"));
        }

        LogUnhandled(logger, context.Method, exception);
        return new RpcException(new Status(StatusCode.Internal, "internal error; see the server log"));
    }

    /// <summary>The status detail of a write the store could not finish; clients and tests tell the outcomes apart by its start.</summary>
    internal static string StoreUnavailableDetail(StoreWriteOutcome outcome) => outcome == StoreWriteOutcome.NotCommitted
        ? "store: the store of record is unavailable; the write was not committed; retry later"
        : "store: the connection to the store of record was lost while the write was committing; its outcome is unknown (it may have committed): retry it (an upsert is idempotent) or read it back";

    private static DbException? TransientStoreFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException { IsTransient: true } transient)
            {
                return transient;
            }
        }

        return null;
    }

    private static bool ThrownByKestrel(Exception exception) =>
        exception.TargetSite?.DeclaringType?.Namespace?.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true;

    internal static StatusCode ToStatusCode(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        ErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        ErrorKind.Aborted => StatusCode.Aborted,
        _ => StatusCode.Internal,
    };

    [LoggerMessage(2101, LogLevel.Information, "Client left {Method}: {Reason}")]
    private static partial void LogClientGone(ILogger logger, string method, string reason);

    [LoggerMessage(2102, LogLevel.Warning, "Store unavailable during {Method}: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string method, string reason);

    [LoggerMessage(2103, LogLevel.Warning, "Storage full during {Method}: {Reason}")]
    private static partial void LogStorageFull(ILogger logger, string method, string reason);

    [LoggerMessage(2100, LogLevel.Error, "Unhandled error in {Method}")]
    private static partial void LogUnhandled(ILogger logger, string method, Exception exception);
}

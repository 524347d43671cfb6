using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;

namespace Retrieval.Server.Security;

/// <summary>
/// The part of authorization that needs the request message (gRPC and transcoded REST alike): the collection the call
/// names must match the caller's patterns, list answers show only allowed collections, the migration <c>actor</c> is
/// the caller, vectors and streams count against the key's limits, and every mutation is audited. The caller and the
/// endpoint's rule come from <see cref="CallerAuthenticationMiddleware"/>; calls without them (health) pass unchanged.
/// </summary>
internal sealed partial class AuthorizationInterceptor(KeyRateLimits limits, ILogger<AuthorizationInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (context.GetHttpContext().Features.Get<CallerFeature>() is not { } feature)
        {
            return continuation(request, context);
        }

        var collection = Admit(feature, request, context);
        if (!feature.Requirement.Mutates && feature.Requirement.Binding != CollectionBinding.Listing)
        {
            // The hot path (search, reads): no state machine, no allocation beyond the collection check.
            return continuation(request, context);
        }

        return RunAsync(feature, collection, request, context, continuation);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (context.GetHttpContext().Features.Get<CallerFeature>() is not { } feature)
        {
            return await continuation(requestStream, context);
        }

        using var slot = AcquireStream(feature, context);
        var reader = new AdmittingStreamReader<TRequest>(requestStream, this, feature, context);
        try
        {
            var response = await continuation(reader, context);
            Audit(feature, reader.Collection, context, "ok", reader.Count);
            return response;
        }
        catch (Exception e)
        {
            Audit(feature, reader.Collection, context, OutcomeOf(e), reader.Count);
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (context.GetHttpContext().Features.Get<CallerFeature>() is not { } feature)
        {
            await continuation(request, responseStream, context);
            return;
        }

        using var slot = AcquireStream(feature, context);
        var collection = Admit(feature, request, context);
        try
        {
            await continuation(request, responseStream, context);
            Audit(feature, collection, context, "ok", 1);
        }
        catch (Exception e)
        {
            Audit(feature, collection, context, OutcomeOf(e), 1);
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (context.GetHttpContext().Features.Get<CallerFeature>() is not { } feature)
        {
            await continuation(requestStream, responseStream, context);
            return;
        }

        using var slot = AcquireStream(feature, context);
        var reader = new AdmittingStreamReader<TRequest>(requestStream, this, feature, context);
        try
        {
            await continuation(reader, responseStream, context);
            Audit(feature, reader.Collection, context, "ok", reader.Count);
        }
        catch (Exception e)
        {
            Audit(feature, reader.Collection, context, OutcomeOf(e), reader.Count);
            throw;
        }
    }

    /// <summary>
    /// Checks one request message against the caller: its collection, its vectors against the key's rate; fills its
    /// actor. Returns the collection (or <c>-</c>) for the audit trail. Throws PERMISSION_DENIED or RESOURCE_EXHAUSTED.
    /// </summary>
    /// <summary>
    /// A request through an alias reaches the alias's collection, so a restricted key must allow that collection too:
    /// an alias name cannot widen what a key may touch.
    /// </summary>
    private static bool AllowsAliasTarget(CallerIdentity caller, string name, ServerCallContext context) =>
        caller.Collections.IsUnrestricted
        || context.GetHttpContext().RequestServices?.GetService(typeof(Engine.RetrievalEngine)) is not Engine.RetrievalEngine engine
        || engine.AliasTarget(name) is not { } target
        || caller.Collections.Allows(target);

    internal string Admit(CallerFeature feature, object request, ServerCallContext context)
    {
        var requirement = feature.Requirement;
        var caller = feature.Caller;
        var message = (IMessage)request;
        var collection = "-";
        if (requirement.CollectionField is { } field)
        {
            collection = (string)field.Accessor.GetValue(message);
            if (!caller.Collections.Allows(collection) || !AllowsAliasTarget(caller, collection, context))
            {
                // The same answer whether or not the collection exists.
                throw Refuse(feature, collection, context, StatusCode.PermissionDenied, $"the key may not access collection '{collection}'", "collection");
            }
        }

        if (requirement.Mutates)
        {
            var vectors = VectorCount(message);
            if (vectors > 0 && limits.VectorsPerSecond > 0)
            {
                if (vectors > limits.VectorsPerSecond)
                {
                    throw Refuse(feature, collection, context, StatusCode.ResourceExhausted,
                        $"a batch of {vectors} vectors exceeds the key's limit of {limits.VectorsPerSecond} vectors per second; send smaller batches", "vectors");
                }

                using var lease = limits.AcquireVectors(caller.KeyId, vectors);
                if (lease is { IsAcquired: false })
                {
                    SetRetryAfter(context, lease);
                    throw Refuse(feature, collection, context, StatusCode.ResourceExhausted,
                        $"the key's limit of {limits.VectorsPerSecond} vectors per second is reached; retry later", "vectors");
                }
            }

            if (requirement.ActorField is { } actor && !ReferenceEquals(caller, CallerIdentity.AuthDisabled))
            {
                // The migration trail records who acted: the authenticated caller, not what the client claims to be.
                actor.Accessor.SetValue(message, caller.Label);
            }
        }

        return collection;
    }

    private async Task<TResponse> RunAsync<TRequest, TResponse>(
        CallerFeature feature, string collection, TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        if (!feature.Requirement.Mutates)
        {
            var listed = await continuation(request, context);
            if (listed is ListCollectionsResponse list && !feature.Caller.Collections.IsUnrestricted)
            {
                var hidden = list.Collections.Where(c => !feature.Caller.Collections.Allows(c.Name)).ToList();
                foreach (var c in hidden)
                {
                    list.Collections.Remove(c);
                }
            }

            return listed;
        }

        var count = CountOf((IMessage)request);
        try
        {
            var response = await continuation(request, context);
            Audit(feature, collection, context, "ok", count);
            return response;
        }
        catch (Exception e)
        {
            Audit(feature, collection, context, OutcomeOf(e), count);
            throw;
        }
    }

    private System.Threading.RateLimiting.RateLimitLease? AcquireStream(CallerFeature feature, ServerCallContext context)
    {
        var lease = limits.AcquireStream(feature.Caller.KeyId);
        if (lease is { IsAcquired: false })
        {
            lease.Dispose();
            throw Refuse(feature, "-", context, StatusCode.ResourceExhausted,
                "the key has too many streaming calls open (Retrieval:Auth:MaxConcurrentStreams); close one first", "streams");
        }

        return lease;
    }

    private RpcException Refuse(CallerFeature feature, string collection, ServerCallContext context, StatusCode code, string message, string reason)
    {
        AuditLog.Refused(logger, feature.Requirement.Action, feature.Caller.KeyId, RemoteAddress(context), collection, code.ToString(), reason);
        return new RpcException(new Status(code, message));
    }

    private void Audit(CallerFeature feature, string collection, ServerCallContext context, string outcome, long count)
    {
        if (feature.Requirement.Mutates)
        {
            AuditLog.Mutation(logger, feature.Requirement.Action, feature.Caller.KeyId, RemoteAddress(context), collection, outcome, count);
        }
    }

    private static void SetRetryAfter(ServerCallContext context, System.Threading.RateLimiting.RateLimitLease lease)
    {
        if (lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var wait))
        {
            // gRPC clients read it from the response headers; transcoded REST answers carry it as Retry-After.
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.GetHttpContext().Response.Headers.RetryAfter = seconds;
        }
    }

    private static string? RemoteAddress(ServerCallContext context) => context.GetHttpContext().Connection.RemoteIpAddress?.ToString();

    private static string OutcomeOf(Exception e) => e switch
    {
        RpcException rpc => rpc.StatusCode.ToString(),
        RetrievalException retrieval => retrieval.Kind.ToString(),
        OperationCanceledException => "Cancelled",
        _ => "Internal",
    };

    /// <summary>Vectors a write carries (raw inputs count too: the server encodes each into a vector).</summary>
    private static int VectorCount(IMessage request) => request switch
    {
        UpsertItemsRequest upsert => upsert.Items.Sum(i => Math.Max(1, i.Vectors.Count + i.Inputs.Count)),
        BackfillVectorsRequest backfill => backfill.Vectors.Count,
        _ => 0,
    };

    /// <summary>How many items a mutation names, for the audit trail.</summary>
    private static long CountOf(IMessage request) => request switch
    {
        UpsertItemsRequest upsert => upsert.Items.Count,
        DeleteItemsRequest delete => delete.Ids.Count,
        BackfillVectorsRequest backfill => backfill.Vectors.Count,
        _ => 1,
    };

    /// <summary>Admits each message of a client stream as it is read, and counts them for the audit event.</summary>
    private sealed class AdmittingStreamReader<T>(
        IAsyncStreamReader<T> inner, AuthorizationInterceptor interceptor, CallerFeature feature, ServerCallContext context) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public string Collection { get; private set; } = "-";

        public long Count { get; private set; }

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            Collection = interceptor.Admit(feature, inner.Current!, context);
            Count += CountOf((IMessage)inner.Current!);
            return true;
        }
    }
}

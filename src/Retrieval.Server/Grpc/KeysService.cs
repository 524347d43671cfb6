using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;
using Retrieval.Server.Mapping;
using Retrieval.Server.Security;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the API keys: the store of record, then this server's key cache.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForKeys), nameof(GuardedServiceBinding.ForKeys.BindService))]
internal sealed class KeysService(IApiKeyStore store, ApiKeyCache cache, TimeProvider time) : Keys.KeysBase
{
    public override async Task<CreatedKey> CreateKey(CreateKeyRequest request, ServerCallContext context)
    {
        if (request.ExpiresInSeconds < 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("expiresInSeconds"), "must be 0 (never) or positive");
        }

        var now = time.GetUtcNow();
        var key = ApiKeyFactory.Create(
            KeyMapping.ToName(request.Name, FieldPath.Of("name")),
            KeyMapping.ToScope(request.Scope, FieldPath.Of("scope")),
            KeyMapping.ToCollections(request.Collections, FieldPath.Of("collections")),
            now,
            request.ExpiresInSeconds > 0 ? now.AddSeconds(request.ExpiresInSeconds) : null,
            CallerOf(context),
            out var token);
        await store.CreateApiKeyAsync(key, context.CancellationToken);
        cache.Put(key);
        return new CreatedKey { Key = KeyMapping.ToProto(key, now), Secret = token };
    }

    public override async Task<ListKeysResponse> ListKeys(ListKeysRequest request, ServerCallContext context)
    {
        var now = time.GetUtcNow();
        var response = new ListKeysResponse();
        response.Keys.Add((await store.ListApiKeysAsync(context.CancellationToken)).Select(k => KeyMapping.ToProto(k, now)));
        return response;
    }

    public override async Task<ApiKey> RevokeKey(RevokeKeyRequest request, ServerCallContext context)
    {
        var id = KeyMapping.ToId(request.Id, FieldPath.Of("id"));
        var now = time.GetUtcNow();
        var revoked = await RevokeAsync(id, now, context.CancellationToken);
        return KeyMapping.ToProto(revoked, now);
    }

    public override async Task<CreatedKey> RotateKey(RotateKeyRequest request, ServerCallContext context)
    {
        var id = KeyMapping.ToId(request.Id, FieldPath.Of("id"));
        if (request.GraceSeconds < 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("graceSeconds"), "must be 0 (revoke at once) or positive");
        }

        var now = time.GetUtcNow();
        var old = await FindAsync(id, context.CancellationToken);
        var lifetime = old.ExpiresAt is { } expires ? expires - old.CreatedAt : (TimeSpan?)null;
        // The successor first: if the revoke then fails, both keys work, which is safe; the other order could lock out.
        var successor = ApiKeyFactory.Create(old.Name, old.Scope, old.Collections, now, now + lifetime, CallerOf(context), out var token);
        await store.CreateApiKeyAsync(successor, context.CancellationToken);
        cache.Put(successor);
        await RevokeAsync(id, now.AddSeconds(request.GraceSeconds), context.CancellationToken);
        return new CreatedKey { Key = KeyMapping.ToProto(successor, now), Secret = token };
    }

    private async Task<StoredApiKey> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!await store.RevokeApiKeyAsync(id, at, cancellationToken))
        {
            throw RetrievalException.NotFound($"API key '{id}' does not exist");
        }

        var revoked = await FindAsync(id, cancellationToken);
        cache.Put(revoked);
        return revoked;
    }

    private async Task<StoredApiKey> FindAsync(string id, CancellationToken cancellationToken) =>
        (await store.ListApiKeysAsync(cancellationToken)).FirstOrDefault(k => k.Id == id)
            ?? throw RetrievalException.NotFound($"API key '{id}' does not exist");

    private static string CallerOf(ServerCallContext context) =>
        context.GetHttpContext().Features.Get<CallerFeature>()?.Caller.KeyId ?? CallerIdentity.AuthDisabled.KeyId;
}

using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Retrieval.Core.Security;

namespace Retrieval.Server.Security;

/// <summary>
/// The gate in front of every endpoint: finds the endpoint's <see cref="AccessRequirement"/>, authenticates the caller
/// (API key from <c>authorization: Bearer</c> or <c>api-key</c>, else a mapped client certificate), checks the scope,
/// and hands the caller to the gRPC layer (<see cref="CallerFeature"/>), which checks the collection once the request
/// is read. An endpoint without a rule is refused unless it allows anonymous calls (health). Requests that match no
/// endpoint (swagger, static files, 404) pass: they reach no data.
/// </summary>
internal sealed class CallerAuthenticationMiddleware(
    RequestDelegate next,
    IOptions<AuthOptions> options,
    ApiKeyCache cache,
    ClientCertificateMap certificates,
    ILogger<CallerAuthenticationMiddleware> logger)
{
    private const string NoKeyMessage = "a valid API key is required (authorization: Bearer <key>, or api-key: <key>); see docs/security.md";
    private const string StartingMessage = "the server is still reading its API keys; retry shortly";

    private readonly bool _enabled = options.Value.Enabled;

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            return next(context);
        }

        var requirement = endpoint.Metadata.GetMetadata<AccessRequirement>();
        if (requirement is null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return next(context);
        }

        if (!_enabled)
        {
            if (requirement is not null)
            {
                context.Features.Set(new CallerFeature(CallerIdentity.AuthDisabled, requirement));
            }

            return next(context);
        }

        var check = AuthenticateKey(context, out var caller, out var presented);
        if (!presented && !certificates.IsEmpty && context.Connection.ClientCertificate is not null)
        {
            return AuthenticateCertificateAsync(context, requirement);
        }

        return caller is null
            ? RefuseAsync(context, requirement, "-", check == KeyCheck.NotLoaded ? StatusCode.Unavailable : StatusCode.Unauthenticated,
                check == KeyCheck.NotLoaded ? StartingMessage : NoKeyMessage, presented ? check.ToString() : "no key")
            : AuthorizeAsync(context, requirement, caller);
    }

    private KeyCheck AuthenticateKey(HttpContext context, out CallerIdentity? caller, out bool presented)
    {
        caller = null;
        var headers = context.Request.Headers;
        ReadOnlySpan<char> token;
        var authorization = headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization.ToString().AsSpan();
            token = value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
        }
        else if (headers.TryGetValue("api-key", out var apiKey))
        {
            token = apiKey.ToString().AsSpan().Trim();
        }
        else
        {
            presented = false;
            return KeyCheck.Unknown;
        }

        presented = true;
        return cache.Authenticate(token, out caller);
    }

    private async Task AuthenticateCertificateAsync(HttpContext context, AccessRequirement? requirement)
    {
        // Chain validation (against Retrieval:Auth:ClientCertificates:CaFile) is ASP.NET Core's certificate handler's.
        var result = await context.AuthenticateAsync(CertificateAuthenticationDefaults.AuthenticationScheme);
        var caller = result.Succeeded && context.Connection.ClientCertificate is { } certificate ? certificates.Find(certificate) : null;
        if (caller is null)
        {
            var reason = result.Succeeded ? "certificate not mapped" : result.Failure?.Message ?? "certificate not valid";
            await RefuseAsync(context, requirement, "-", StatusCode.Unauthenticated, NoKeyMessage, reason);
            return;
        }

        await AuthorizeAsync(context, requirement, caller);
    }

    private Task AuthorizeAsync(HttpContext context, AccessRequirement? requirement, CallerIdentity caller)
    {
        if (requirement is null)
        {
            return RefuseAsync(context, null, caller.KeyId, StatusCode.PermissionDenied, "no access rule is declared for this endpoint", "no rule");
        }

        if (!caller.Has(requirement.Scope))
        {
            return RefuseAsync(context, requirement, caller.KeyId, StatusCode.PermissionDenied,
                $"the key's scope '{ApiKeyScopes.Name(caller.Scope)}' does not allow this call; it needs '{ApiKeyScopes.Name(requirement.Scope)}'", "scope");
        }

        if (requirement.Binding == CollectionBinding.Global && !caller.Collections.IsUnrestricted)
        {
            return RefuseAsync(context, requirement, caller.KeyId, StatusCode.PermissionDenied,
                "this call needs a key valid for every collection; the key is limited to some", "collections");
        }

        context.Features.Set(new CallerFeature(caller, requirement));
        return next(context);
    }

    private Task RefuseAsync(HttpContext context, AccessRequirement? requirement, string keyId, StatusCode code, string message, string reason)
    {
        var action = requirement?.Action ?? $"{context.Request.Method} {context.Request.Path}";
        AuditLog.Refused(logger, action, keyId, context.Connection.RemoteIpAddress?.ToString(), "-", code.ToString(), reason);
        return CallRefusal.WriteAsync(context, code, message);
    }
}

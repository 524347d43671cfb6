using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Security;

/// <summary>Composition of the security layer: keys, the gate middleware, mutual TLS and per-key request limits.</summary>
public static class SecurityExtensions
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddRetrievalSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.SectionName)
            .Validate(o => o.Mode is "enabled" or "disabled", "Retrieval:Auth:Mode must be 'enabled' or 'disabled'")
            .Validate(o => o.RefreshSeconds > 0, "Retrieval:Auth:RefreshSeconds must be positive")
            .Validate(o => o.RequestsPerSecond >= 0 && o.VectorsPerSecond >= 0 && o.MaxConcurrentStreams >= 0,
                "Retrieval:Auth:RequestsPerSecond, VectorsPerSecond and MaxConcurrentStreams must be 0 (no limit) or positive")
            .Validate(o => o.ClientCertificates.Map.Count == 0 || File.Exists(o.ClientCertificates.CaFile),
                "Retrieval:Auth:ClientCertificates:CaFile must name the PEM file of the client CA when ClientCertificates:Map is set")
            .Validate(o => o.ClientCertificates.Map.All(r => !string.IsNullOrEmpty(r.Thumbprint) || !string.IsNullOrEmpty(r.Subject)),
                "each Retrieval:Auth:ClientCertificates:Map entry needs a Thumbprint or a Subject")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, ListenAddressCheck>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<KeyRateLimits>();
        services.AddSingleton<ClientCertificateMap>();
        services.AddSingleton(sp => sp.GetRequiredService<IRetrievalStore>() as IApiKeyStore
            ?? throw new InvalidOperationException("the configured store does not keep API keys"));
        services.AddHostedService<ApiKeyLoaderService>();
        services.AddHealthChecks().AddCheck<ApiKeysLoadedHealthCheck>("api-keys", tags: [ReadyTag]);

        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new();
        if (auth.Enabled && auth.ClientCertificates.Map.Count > 0)
        {
            AddClientCertificates(builder, auth);
        }

        if (auth.Enabled && auth.RequestsPerSecond > 0)
        {
            AddRequestRateLimit(services, auth.RequestsPerSecond);
        }

        return builder;
    }

    /// <summary>The gate (before any endpoint runs) and, when configured, the per-key request rate limit behind it.</summary>
    public static WebApplication UseRetrievalSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<CallerAuthenticationMiddleware>();
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Enabled && auth.RequestsPerSecond > 0)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    /// <summary>Attaches each gRPC method's rule from <see cref="AccessPolicies"/> to its endpoints (native and transcoded).</summary>
    public static TBuilder WithAccessRules<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().FirstOrDefault() is { } grpc
                && AccessPolicies.For(grpc.Method.ServiceName, grpc.Method.Name) is { } rule)
            {
                endpoint.Metadata.Add(rule);
            }
        });
        return builder;
    }

    /// <summary>Declares the rule of a plain HTTP endpoint (metrics, the encoder upload).</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, string action, ApiKeyScope scope, CollectionBinding binding)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AccessRequirement.For(action, scope, binding));

    private static void AddClientCertificates(WebApplicationBuilder builder, AuthOptions auth)
    {
        // Kestrel asks for a certificate but leaves judging it to the authentication handler, which trusts only the
        // configured CA (the machine's trust store plays no part). An endpoint may still set ClientCertificateMode=RequireCertificate.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.AllowAnyClientCertificate();
        }));
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(auth.ClientCertificates.CaFile!));
        builder.Services.AddAuthentication(CertificateAuthenticationDefaults.AuthenticationScheme)
            .AddCertificate(options =>
            {
                options.AllowedCertificateTypes = CertificateTypes.Chained;
                options.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                options.CustomTrustStore.Add(ca);
                options.RevocationMode = X509RevocationMode.NoCheck;
                options.ValidateCertificateUse = true;
            })
            .AddCertificateCache();
    }

    private static void AddRequestRateLimit(IServiceCollection services, int requestsPerSecond) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.Features.Get<CallerFeature>() is { } feature
                    ? RateLimitPartition.GetTokenBucketLimiter(feature.Caller.KeyId, _ => KeyRateLimits.PerSecond(requestsPerSecond))
                    : RateLimitPartition.GetNoLimiter("-"));
            options.OnRejected = (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var feature = context.Features.Get<CallerFeature>();
                var logger = context.RequestServices.GetRequiredService<ILogger<AuthorizationInterceptor>>();
                AuditLog.Refused(logger, feature?.Requirement.Action ?? context.Request.Path, feature?.Caller.KeyId ?? "-",
                    context.Connection.RemoteIpAddress?.ToString(), "-", nameof(StatusCode.ResourceExhausted), "requests");
                TimeSpan? retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
                return new ValueTask(CallRefusal.WriteAsync(context, StatusCode.ResourceExhausted,
                    $"the key's limit of {requestsPerSecond} requests per second is reached (Retrieval:Auth:RequestsPerSecond); retry later", retryAfter ?? TimeSpan.FromSeconds(1)));
            };
        });
}

using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;
using Retrieval.Engine;
using Retrieval.Core.Security;
using Retrieval.Server.Grpc;
using Retrieval.Server.OperatorConsole;
using Retrieval.Server.Rest;
using Retrieval.Server.Security;
using Serilog;
using Serilog.Formatting.Compact;

namespace Retrieval.Server.Hosting;

/// <summary>The composition root: services and endpoints of the Retrieval server.</summary>
public static class ServerExtensions
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddRetrievalServer(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RetrievalServerOptions>()
            .BindConfiguration(RetrievalServerOptions.SectionName)
            .Validate(o => o.Store is "sqlite" or "postgres", "Retrieval:Store must be 'sqlite' or 'postgres'")
            .Validate(o => o.LogFormat is "text" or "json", "Retrieval:LogFormat must be 'text' or 'json'")
            .Validate(o => o.MaxRequestBytes > 0, "Retrieval:MaxRequestBytes must be positive")
            .Validate(o => o.Backups.MaxUploadBytes > 0, "Retrieval:Backups:MaxUploadBytes must be positive")
            .Validate(o => o.Limits.MaxK > 0 && o.Limits.MaxBatchItems > 0 && o.Limits.MaxCandidates > 0
                    && o.Limits.MaxSearchBatch > 0 && o.Limits.MaxPayloadBytes > 0 && o.Limits.MaxScrollLimit > 0
                    && o.Limits.MaxGroupSearchDepth > 0 && o.Limits.LoadProgressInterval > 0,
                "Retrieval:Limits: every limit (MaxK, MaxBatchItems, MaxCandidates, MaxSearchBatch, MaxPayloadBytes, MaxScrollLimit, MaxGroupSearchDepth, LoadProgressInterval) must be positive")
            .Validate(o => o.Limits.MaxVectorMemoryBytes >= 0, "Retrieval:Limits:MaxVectorMemoryBytes must be 0 (unlimited) or positive")
            .Validate(o => o.Limits.SearchBatching.MaxBatch > 0 && o.Limits.SearchBatching.MaxRunning >= 0,
                "Retrieval:Limits:SearchBatching: MaxBatch must be positive and MaxRunning 0 (one per core) or positive")
            .Validate(o => o.Limits.GroupCommit.MaxBatches > 0 && o.Limits.GroupCommit.MaxItems > 0,
                "Retrieval:Limits:GroupCommit: MaxBatches and MaxItems must be positive (MaxBatches 1 turns grouping off)")
            .ValidateOnStart();

        var serverOptions = builder.Configuration.GetSection(RetrievalServerOptions.SectionName).Get<RetrievalServerOptions>() ?? new();
        services.AddSerilog((_, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext().Filter.ByExcluding(ReadinessLogging.IsNotReadyCheckEnd);
            if (serverOptions.LogFormat == "json")
            {
                logger.WriteTo.Console(new CompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = serverOptions.MaxRequestBytes);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RetrievalServerOptions>>().Value.Limits);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetrievalServerOptions>>().Value;
            options.Indexing.SnapshotDirectory ??= Path.Combine(Path.GetFullPath(options.DataDirectory), "snapshots");
            return options.Indexing;
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetrievalServerOptions>>().Value;
            options.Backups.Directory ??= Path.Combine(Path.GetFullPath(options.DataDirectory), "backups");
            return options.Backups;
        });
        builder.AddRetrievalClusterMode(serverOptions);
        builder.AddRetrievalTracing();
        services.AddSingleton(StoreFactory.Create);
        services.AddSingleton<RetrievalEngine>();
        MetricsExport.Configure();
        services.AddHostedService<MetricsListenerService>();
        services.AddHostedService<EngineStartupService>();
        services.AddOptions<BackfillWorkerOptions>()
            .BindConfiguration(BackfillWorkerOptions.SectionName)
            .Validate(o => o.BatchSize > 0 && o.IdleDelayMilliseconds > 0, "Retrieval:Backfill:BatchSize and IdleDelayMilliseconds must be positive")
            .Validate(o => double.IsFinite(o.LeaseSeconds) && o.LeaseSeconds >= 1, "Retrieval:Backfill:LeaseSeconds must be at least 1")
            .ValidateOnStart();
        services.AddHostedService<BackfillWorkerService>();
        services.AddRetrievalEncoders(inSharedStore: builder.Configuration.GetValue<bool>(ClusterModeHosting.ClusterEnabledKey));
        builder.AddRetrievalSecurity();

        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>();
            grpc.Interceptors.Add<AuthorizationInterceptor>();
            grpc.MaxReceiveMessageSize = serverOptions.MaxRequestBytes;
            grpc.MaxSendMessageSize = serverOptions.MaxRequestBytes;
        }).AddJsonTranscoding();
        services.AddGrpcReflection();
        services.AddSingleton<StoreHealthCheck>();
        services.AddGrpcHealthChecks().AddCheck<EngineReadyHealthCheck>(ReadyTag, tags: [ReadyTag]).AddCheck<StoreHealthCheck>("store", tags: [ReadyTag]);
        services.AddGrpcSwagger();
        services.AddSwaggerGen(RestApiDocument.Configure);
        return builder;
    }

    public static WebApplication MapRetrievalServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Per-request log lines are a choice (Retrieval:LogRequests): off, the middleware is not added, at no cost per call.
        if (app.Services.GetRequiredService<IOptions<RetrievalServerOptions>>().Value.LogRequests)
        {
            app.UseSerilogRequestLogging();
        }

        app.UseRetrievalSecurity();
        app.UseMiddleware<RequestSizeLimitMiddleware>();
        app.UseMiddleware<StrictJsonBodyMiddleware>();
        app.UseSwagger();
        app.UseHttpMetrics();
        // Each endpoint declares the scope it needs (docs/security.md); one without a rule is refused to every caller.
        app.MapGrpcService<CollectionsService>().WithAccessRules();
        app.MapGrpcService<ItemsService>().WithAccessRules();
        app.MapGrpcService<SearchService>().WithAccessRules();
        app.MapGrpcService<MapsService>().WithAccessRules();
        app.MapGrpcService<MigrationsService>().WithAccessRules();
        app.MapGrpcService<EncodersService>().WithAccessRules();
        app.MapGrpcService<KeysService>().WithAccessRules();
        app.MapGrpcService<SnapshotsService>().WithAccessRules();
        app.MapGrpcService<ServerInfoService>().WithAccessRules();
        app.MapGrpcService<ClusterService>().WithAccessRules();
        app.MapEncoderUpload();
        app.MapSnapshotFiles();
        app.MapProtoDescriptorSet();
        app.MapGrpcReflectionService().WithAccessRules();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        // Liveness answers as soon as the process serves HTTP; readiness waits for every collection to load.
        // Prometheus text format; scraped over HTTP/1.1, so in practice on the REST port (the gRPC port speaks HTTP/2 only).
        app.MapMetrics("/metrics").RequireAccess("GET /metrics", ApiKeyScope.Read, CollectionBinding.Global);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = ReadinessLogging.WriteReadyResponseAsync })
            .AllowAnonymous();
        app.MapOperatorConsole();
        return app;
    }

    /// <summary>Builds the server from command-line arguments (used by Program and by in-process tests).</summary>
    public static WebApplication BuildRetrievalServer(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddRetrievalServer();
        return builder.Build().MapRetrievalServer();
    }
}

using Microsoft.Extensions.Options;
using Retrieval.Core.Storage;
using Retrieval.Engine;

namespace Retrieval.Server.Security;

/// <summary>
/// Fills the <see cref="ApiKeyCache"/>: the bootstrap key before the server accepts calls, the stored keys once the
/// engine has opened the store, then a re-read every <see cref="AuthOptions.RefreshSeconds"/> so keys created or revoked
/// through another server (or offline) take effect. Also warns at start when authentication is off.
/// </summary>
internal sealed partial class ApiKeyLoaderService(
    IOptions<AuthOptions> options,
    ApiKeyCache cache,
    IApiKeyStore store,
    RetrievalEngine engine,
    TimeProvider time,
    ILogger<ApiKeyLoaderService> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        if (!auth.Enabled)
        {
            Log.AuthDisabled(logger);
            return Task.CompletedTask;
        }

        if (!string.IsNullOrWhiteSpace(auth.BootstrapKeyFile))
        {
            var (key, created) = BootstrapKeyFile.LoadOrCreate(auth.BootstrapKeyFile, time.GetUtcNow());
            cache.SetBootstrap(key);
            if (created)
            {
                Log.BootstrapKeyCreated(logger, auth.BootstrapKeyFile, key.Id);
            }
            else
            {
                Log.BootstrapKeyLoaded(logger, auth.BootstrapKeyFile, key.Id);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The engine opens the store (and migrates SQLite) as it starts; keys are read from it after that.
        while (!engine.IsReady)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken);
        }

        var period = TimeSpan.FromSeconds(options.Value.RefreshSeconds);
        var loaded = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var keys = await store.ListApiKeysAsync(stoppingToken);
                cache.Replace(keys);
                if (!loaded)
                {
                    loaded = true;
                    Log.KeysLoaded(logger, keys.Count);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Keep serving with the last set read; the store being briefly away must not lock every client out.
                Log.RefreshFailed(logger, e);
            }

            await Task.Delay(loaded ? period : TimeSpan.FromSeconds(1), time, stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2400, LogLevel.Warning, "Authentication is disabled (Retrieval:Auth:Mode=disabled): every caller may do everything")]
        public static partial void AuthDisabled(ILogger logger);

        [LoggerMessage(2401, LogLevel.Warning, "Created the bootstrap admin key file {Path} (key id {KeyId}); keep it secret, and replace it with stored keys")]
        public static partial void BootstrapKeyCreated(ILogger logger, string path, string keyId);

        [LoggerMessage(2402, LogLevel.Information, "Bootstrap admin key {KeyId} read from {Path}")]
        public static partial void BootstrapKeyLoaded(ILogger logger, string path, string keyId);

        [LoggerMessage(2403, LogLevel.Information, "Read {Count} API key(s) from the store")]
        public static partial void KeysLoaded(ILogger logger, int count);

        [LoggerMessage(2404, LogLevel.Warning, "Could not re-read the API keys from the store; serving with the last set read")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}

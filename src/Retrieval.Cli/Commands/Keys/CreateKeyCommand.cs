using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Retrieval.Core.Security;
using Retrieval.Core.Storage;
using Retrieval.Storage.Postgres;
using Retrieval.Storage.Sqlite;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Keys;

/// <summary>
/// Creates an API key through the server, or with <c>--bootstrap</c> straight in the store of record (no server, no
/// key needed: the way to make the first admin key). The secret is printed once.
/// </summary>
internal sealed class CreateKeyCommand : AsyncCommand<CreateKeyCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandOption("--scope <SCOPE>")]
        [Description("read, write or admin")]
        public string Scope { get; init; } = "";

        [CommandOption("--collections <PATTERNS>")]
        [Description("comma-separated collection names or patterns with * ('docs*,shop'); default: every collection")]
        public string? Collections { get; init; }

        [CommandOption("--expires <DURATION>")]
        [Description("lifetime: 90d, 12h, 30m, 45s; default: never expires")]
        public string? Expires { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("a label for lists and logs")]
        public string Name { get; init; } = "";

        [CommandOption("--bootstrap")]
        [Description("write the key into the store directly (offline): SQLite in --data-dir, or PostgreSQL with --connection")]
        public bool Bootstrap { get; init; }

        [CommandOption("--data-dir <DIR>")]
        [Description("with --bootstrap: the SQLite store's data directory (default: $Retrieval__DataDirectory or data)")]
        public string? DataDirectory { get; init; }

        [CommandOption("--connection <CONNECTION_STRING>")]
        [Description("with --bootstrap: a PostgreSQL store (default: $ConnectionStrings__Postgres when Retrieval__Store=postgres)")]
        public string? Connection { get; init; }

        public override ValidationResult Validate() =>
            !ApiKeyScopes.TryParse(Scope, out _) ? ValidationResult.Error("--scope must be read, write or admin")
            : Name.Length > ApiKeyFactory.MaxNameLength ? ValidationResult.Error($"--name: at most {ApiKeyFactory.MaxNameLength} characters")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!ApiKeyScopes.TryParse(settings.Scope, out var scope))
        {
            throw new ArgumentException("--scope must be read, write or admin");
        }

        var collections = CollectionPatterns.Parse(settings.Collections).Patterns;
        var lifetime = settings.Expires is null ? (TimeSpan?)null : Lifetime.Parse(settings.Expires, "--expires");
        if (settings.Bootstrap)
        {
            return await CreateOfflineAsync(settings, scope, collections, lifetime, cancellationToken);
        }

        using var client = new RetrievalClient(settings);
        var created = await client.Keys.CreateKeyAsync(new CreateKeyRequest
        {
            Name = settings.Name,
            Scope = (KeyScope)(int)scope,
            Collections = { collections },
            ExpiresInSeconds = lifetime is { } l ? (long)l.TotalSeconds : 0,
        }, cancellationToken: cancellationToken);
        KeyView.PrintCreated(created.Key.Id, created.Secret);
        return 0;
    }

    private static async Task<int> CreateOfflineAsync(
        Settings settings, ApiKeyScope scope, IReadOnlyList<string> collections, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var connection = settings.Connection
            ?? (string.Equals(Environment.GetEnvironmentVariable("Retrieval__Store"), "postgres", StringComparison.OrdinalIgnoreCase)
                ? Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
                : null);
        await using IRetrievalStore store = connection is { Length: > 0 }
            ? new PostgresRetrievalStore(connection)
            : new SqliteRetrievalStore(settings.DataDirectory ?? Environment.GetEnvironmentVariable("Retrieval__DataDirectory") ?? "data");
        // SQLite migrates itself here; PostgreSQL checks that `retrieval db migrate` ran.
        await store.OpenAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var key = ApiKeyFactory.Create(settings.Name, scope, collections, now, now + lifetime, "bootstrap", out var token);
        await ((IApiKeyStore)store).CreateApiKeyAsync(key, cancellationToken);
        KeyView.PrintCreated(key.Id, token);
        AnsiConsole.MarkupLine("[grey]written to the store; a running server picks it up within Retrieval:Auth:RefreshSeconds[/]");
        return 0;
    }
}

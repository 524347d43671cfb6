using System.ComponentModel;
using Retrieval.Storage.Postgres;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>
/// Applies pending PostgreSQL schema upgrades (the embedded SQLite store upgrades itself on open), cluster mode's
/// membership tables among them.
/// </summary>
internal sealed class DbMigrateCommand : AsyncCommand<DbMigrateCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--connection <CONNECTION_STRING>")]
        [Description("Npgsql connection string (default: $ConnectionStrings__Postgres)")]
        public string? Connection { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var connection = settings.Connection ?? Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        if (string.IsNullOrWhiteSpace(connection))
        {
            AnsiConsole.MarkupLine("[red]error[/] give --connection or set ConnectionStrings__Postgres");
            return 2;
        }

        var applied = await PostgresSchema.UpgradeAsync(connection, cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"schema is current; applied {applied.Count} schema upgrade(s){(applied.Count > 0 ? ": " + string.Join(", ", applied) : "")}");
        return 0;
    }
}

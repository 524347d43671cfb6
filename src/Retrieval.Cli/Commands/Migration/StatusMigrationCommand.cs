using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>
/// <c>retrieval migration status</c>: lists a collection's migrations, or shows one with its audit trail; with
/// <c>--watch</c> follows a backfill with a live progress bar until nothing is missing or the phase changes.
/// </summary>
internal sealed class StatusMigrationCommand : AsyncCommand<StatusMigrationCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandArgument(1, "[ID]")]
        public string? Id { get; init; }

        [CommandOption("--watch")]
        [Description("follow the backfill with a progress bar")]
        public bool Watch { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        if (string.IsNullOrEmpty(settings.Id))
        {
            var list = await client.Migrations.ListMigrationsAsync(new ListMigrationsRequest { Collection = settings.Collection }, cancellationToken: cancellationToken);
            var table = new Table().AddColumns("id", "from → to", "phase", "native", "missing", "updated");
            foreach (var m in list.Migrations)
            {
                // Closed migrations show the figures recorded when they ended ("at end"), or a dash when none were recorded.
                var suffix = MigrationView.IsEnded(m.Phase) && m.Progress is not null ? " at end" : "";
                table.AddRow(Markup.Escape(m.Id), Markup.Escape($"{m.FromSpace} → {m.ToSpace}"), MigrationView.Phase(m.Phase),
                    Markup.Escape(m.Progress is { } p ? $"{p.Fraction:P1}{suffix}" : "–"), Markup.Escape(m.Progress is { } q ? $"{q.MissingNewItems:N0}" : "–"),
                    Markup.Escape($"{m.UpdatedAt?.ToDateTimeOffset():u}"));
            }

            AnsiConsole.Write(table);
            return 0;
        }

        var request = new GetMigrationRequest { Collection = settings.Collection, Id = settings.Id };
        if (settings.Watch)
        {
            await BackfillProgress.WatchAsync(client, request, cancellationToken);
        }

        MigrationView.Render(await client.Migrations.GetMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

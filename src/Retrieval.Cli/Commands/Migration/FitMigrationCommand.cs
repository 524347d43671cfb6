using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary><c>retrieval migration fit</c>: fits the maps and the score calibration on the items holding both spaces.</summary>
internal sealed class FitMigrationCommand : AsyncCommand<FitMigrationCommand.Settings>
{
    internal sealed class Settings : MigrationCommandSettings
    {
        [CommandOption("--kind <KIND>")]
        [Description("refit with another map kind (default: the planned one)")]
        public string? Kind { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new FitMigrationRequest { Collection = settings.Collection, Id = settings.Id, Actor = MigrationCommandSettings.Actor };
        if (settings.Kind is { } kind)
        {
            var current = await client.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = settings.Collection, Id = settings.Id }, cancellationToken: cancellationToken);
            request.Settings = current.Settings.Clone();
            request.Settings.MapKind = MapKinds.Parse(kind);
        }

        MigrationView.Render(await client.Migrations.FitMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

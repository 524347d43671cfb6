using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary><c>retrieval migration activate</c>: new-space queries start going through the map (mixed search).</summary>
internal sealed class ActivateMigrationCommand : AsyncCommand<ActivateMigrationCommand.Settings>
{
    internal sealed class Settings : MigrationCommandSettings
    {
        [CommandOption("--force")]
        [Description("activate even though the compatibility gate failed")]
        public bool Force { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new ActivateMigrationRequest { Collection = settings.Collection, Id = settings.Id, Force = settings.Force, Actor = MigrationCommandSettings.Actor };
        MigrationView.Render(await client.Migrations.ActivateMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

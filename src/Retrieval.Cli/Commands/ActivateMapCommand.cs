using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class ActivateMapCommand : AsyncCommand<ActivateMapCommand.Settings>
{
    internal sealed class Settings : MapSettings
    {
        [CommandOption("--force")]
        [Description("activate even though the compatibility gate failed")]
        public bool Force { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new ActivateMapRequest { Collection = settings.Collection, Id = settings.Id, Force = settings.Force };
        MapView.Render(await client.Maps.ActivateMapAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

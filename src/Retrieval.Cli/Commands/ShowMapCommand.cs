using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class ShowMapCommand : AsyncCommand<MapSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, MapSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        MapView.Render(await client.Maps.GetMapAsync(new GetMapRequest { Collection = settings.Collection, Id = settings.Id }, cancellationToken: cancellationToken));
        return 0;
    }
}

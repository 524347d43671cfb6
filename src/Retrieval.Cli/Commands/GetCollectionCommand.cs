using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class GetCollectionCommand : AsyncCommand<NamedCollectionSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, NamedCollectionSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        CollectionView.Render(await client.Collections.GetCollectionAsync(new GetCollectionRequest { Name = settings.Name }, cancellationToken: cancellationToken));
        return 0;
    }
}

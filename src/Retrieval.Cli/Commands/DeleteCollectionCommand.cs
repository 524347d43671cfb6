using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class DeleteCollectionCommand : AsyncCommand<NamedCollectionSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, NamedCollectionSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        await client.Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = settings.Name }, cancellationToken: cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"deleted collection [bold]{settings.Name}[/]");
        return 0;
    }
}

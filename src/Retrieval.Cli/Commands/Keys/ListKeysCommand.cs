using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Keys;

internal sealed class ListKeysCommand : AsyncCommand<ServerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var response = await client.Keys.ListKeysAsync(new ListKeysRequest(), cancellationToken: cancellationToken);
        AnsiConsole.Write(KeyView.Table(response.Keys));
        return 0;
    }
}

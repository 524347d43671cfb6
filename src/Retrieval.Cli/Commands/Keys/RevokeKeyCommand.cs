using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Keys;

internal sealed class RevokeKeyCommand : AsyncCommand<KeyIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, KeyIdSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var key = await client.Keys.RevokeKeyAsync(new RevokeKeyRequest { Id = settings.Id }, cancellationToken: cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"revoked key [bold]{key.Id}[/]");
        return 0;
    }
}

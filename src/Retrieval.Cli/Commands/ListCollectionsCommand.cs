using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class ListCollectionsCommand : AsyncCommand<ServerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var response = await client.Collections.ListCollectionsAsync(new ListCollectionsRequest(), cancellationToken: cancellationToken);
        var table = new Table().AddColumns("name", "items", "spaces", "default space", "shards");
        foreach (var c in response.Collections)
        {
            table.AddRow(Markup.Escape(c.Name), c.ItemCount.ToString("N0", CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", c.Spaces.Select(s => $"{s.Name}({s.Dimension})"))), Markup.Escape(c.DefaultSpace), Math.Max(1, c.Shards).ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        return 0;
    }
}

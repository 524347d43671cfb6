using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class ListMapsCommand : AsyncCommand<ListMapsCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var response = await client.Maps.ListMapsAsync(new ListMapsRequest { Collection = settings.Collection }, cancellationToken: cancellationToken);
        var table = new Table().AddColumns("id", "kind", "from → to", "state", "anchors", "id recall@10", "gate");
        foreach (var map in response.Maps)
        {
            var report = map.Report ?? new MapReport();
            table.AddRow(
                Markup.Escape(map.Id),
                map.Kind.ToString(),
                Markup.Escape($"{map.FromSpace} → {map.ToSpace}"),
                map.State.ToString(),
                report.FitAnchors.ToString(CultureInfo.InvariantCulture),
                report.HasIdentificationRecallAt10 ? report.IdentificationRecallAt10.ToString("F4", CultureInfo.InvariantCulture) : "–",
                report.Gate.ToString());
        }

        AnsiConsole.Write(table);
        return 0;
    }
}

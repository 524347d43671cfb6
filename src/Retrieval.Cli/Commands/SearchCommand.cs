using System.ComponentModel;
using System.Globalization;
using Google.Protobuf;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>One search, with the query given inline or as a row of a .npy/.fvecs file; prints a table of hits.</summary>
internal sealed class SearchCommand : AsyncCommand<SearchCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandOption("--vector <VALUES>")]
        [Description("comma-separated query vector, e.g. 0.1,0.2,0.3")]
        public string? Vector { get; init; }

        [CommandOption("--query-file <FILE>")]
        [Description(".npy or .fvecs file holding query vectors")]
        public string? QueryFile { get; init; }

        [CommandOption("--row <N>")]
        [Description("row of --query-file to use (default 0)")]
        public int Row { get; init; }

        [CommandOption("--space <SPACE>")]
        public string? Space { get; init; }

        [CommandOption("-k|--top <K>")]
        public int K { get; init; } = 10;

        [CommandOption("--filter <JSON>")]
        [Description("payload filter as JSON, e.g. '{\"must\":[[{\"key\":\"color\",\"match\":{\"value\":\"red\"}}]]}'")]
        public string? Filter { get; init; }

        [CommandOption("--with-payload")]
        public bool WithPayload { get; init; }

        [CommandOption("--item <ID>")]
        [Description("search with this item's stored vector in --space, leaving the item out of the hits")]
        public string? Item { get; init; }

        [CommandOption("--group-by <KEY>")]
        [Description("group hits by this payload key; -k is then the number of groups")]
        public string? GroupBy { get; init; }

        [CommandOption("--group-size <N>")]
        [Description("hits per group with --group-by (default 1)")]
        public int GroupSize { get; init; }

        public override ValidationResult Validate() =>
            new[] { Vector, QueryFile, Item }.Count(q => q is not null) != 1
                ? ValidationResult.Error("give exactly one of --vector, --query-file or --item")
                : GroupSize != 0 && GroupBy is null
                    ? ValidationResult.Error("--group-size needs --group-by")
                    : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var request = new SearchRequest
        {
            Collection = settings.Collection,
            Space = settings.Space ?? "",
            K = settings.K,
            WithPayload = settings.WithPayload,
            ItemId = settings.Item ?? "",
            GroupBy = settings.GroupBy ?? "",
            GroupSize = settings.GroupSize,
        };
        if (settings.Item is null)
        {
            request.Vector = new Vector();
            request.Vector.Values.Add(ReadQuery(settings));
        }

        if (settings.Filter is not null)
        {
            request.Filter = JsonParser.Default.Parse<Filter>(settings.Filter);
        }

        using var client = new RetrievalClient(settings);
        var response = await client.Search.SearchAsync(request, cancellationToken: cancellationToken);
        var grouped = settings.GroupBy is not null;
        var table = new Table().AddColumns("#", "id", "score");
        if (grouped)
        {
            table.AddColumn("group");
        }

        if (settings.WithPayload)
        {
            table.AddColumn("payload");
        }

        var rows = grouped
            ? response.Groups.SelectMany(g => g.Hits.Select(hit => (hit, Group: g.Key.ToString())))
            : response.Hits.Select(hit => (hit, Group: ""));
        var rank = 0;
        foreach (var (hit, group) in rows)
        {
            var cells = new List<string> { (++rank).ToString(CultureInfo.InvariantCulture), Markup.Escape(hit.Id), hit.Score.ToString("G6", CultureInfo.InvariantCulture) };
            if (grouped)
            {
                cells.Add(Markup.Escape(group));
            }

            if (settings.WithPayload)
            {
                cells.Add(Markup.Escape(hit.Payload?.ToString() ?? ""));
            }

            table.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(table);
        return 0;
    }

    private static float[] ReadQuery(Settings settings)
    {
        if (settings.Vector is { } inline)
        {
            return inline.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        }

        var path = settings.QueryFile!;
        var matrix = path.EndsWith(".fvecs", StringComparison.OrdinalIgnoreCase) ? FvecsFormat.Read(path) : NpyFile.ReadMatrix(path);
        if (settings.Row < 0 || settings.Row >= matrix.Rows)
        {
            throw new ArgumentException($"--row {settings.Row} is outside the file's {matrix.Rows} rows");
        }

        return matrix.Row(settings.Row).ToArray();
    }
}

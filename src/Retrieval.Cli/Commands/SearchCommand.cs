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

        public override ValidationResult Validate() =>
            (Vector is null) == (QueryFile is null)
                ? ValidationResult.Error("give exactly one of --vector or --query-file")
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
            Vector = new Vector(),
        };
        request.Vector.Values.Add(ReadQuery(settings));
        if (settings.Filter is not null)
        {
            request.Filter = JsonParser.Default.Parse<Filter>(settings.Filter);
        }

        using var client = new RetrievalClient(settings);
        var response = await client.Search.SearchAsync(request, cancellationToken: cancellationToken);
        var table = new Table().AddColumns("#", "id", "score");
        if (settings.WithPayload)
        {
            table.AddColumn("payload");
        }

        var rank = 0;
        foreach (var hit in response.Hits)
        {
            var cells = new List<string> { (++rank).ToString(CultureInfo.InvariantCulture), Markup.Escape(hit.Id), hit.Score.ToString("G6", CultureInfo.InvariantCulture) };
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

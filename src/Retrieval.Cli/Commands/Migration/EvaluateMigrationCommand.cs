using System.ComponentModel;
using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>
/// <c>retrieval migration evaluate</c>: measures the map on queries embedded by both models (two .npy files, same rows) with
/// their relevant items (an integer .npy, one row of item numbers per query, −1 padding), ids = prefix + number.
/// </summary>
internal sealed class EvaluateMigrationCommand : AsyncCommand<EvaluateMigrationCommand.Settings>
{
    internal sealed class Settings : MigrationCommandSettings
    {
        [CommandOption("--new-queries <FILE>")]
        [Description(".npy of queries embedded by the new model")]
        public string NewQueries { get; init; } = "";

        [CommandOption("--old-queries <FILE>")]
        [Description(".npy of the same queries embedded by the old model")]
        public string OldQueries { get; init; } = "";

        [CommandOption("--relevant <FILE>")]
        [Description("integer .npy: relevant item numbers per query (−1 pads)")]
        public string Relevant { get; init; } = "";

        [CommandOption("--id-prefix <PREFIX>")]
        [Description("item ids are PREFIX + item number (as at ingest)")]
        public string IdPrefix { get; init; } = "";

        [CommandOption("--limit <N>")]
        [Description("use at most N queries (default 1000)")]
        public int Limit { get; init; } = 1000;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var newQueries = NpyFile.ReadMatrix(settings.NewQueries);
        var oldQueries = NpyFile.ReadMatrix(settings.OldQueries);
        NpyArray relevant;
        using (var stream = File.OpenRead(settings.Relevant))
        {
            relevant = NpyFile.Read(stream);
        }

        if (newQueries.Rows != oldQueries.Rows || relevant.Rows != newQueries.Rows)
        {
            throw new FormatException($"query files disagree: {newQueries.Rows} new, {oldQueries.Rows} old, {relevant.Rows} relevant rows");
        }

        var columns = relevant.Columns;
        var ids = relevant.ToInt64Array();
        var set = new MapEvaluationSet();
        for (var q = 0; q < Math.Min(settings.Limit, newQueries.Rows); q++)
        {
            var query = new EvaluationQuery { NewVector = new Vector { Values = { newQueries.Row(q).ToArray() } }, OldVector = new Vector { Values = { oldQueries.Row(q).ToArray() } } };
            for (var c = 0; c < columns; c++)
            {
                if (ids[q * columns + c] is >= 0 and var id)
                {
                    query.RelevantIds.Add(settings.IdPrefix + id.ToString(CultureInfo.InvariantCulture));
                }
            }

            set.Queries.Add(query);
        }

        using var client = new RetrievalClient(settings);
        var request = new EvaluateMigrationRequest { Collection = settings.Collection, Id = settings.Id, Evaluation = set, Actor = MigrationCommandSettings.Actor };
        MigrationView.Render(await client.Migrations.EvaluateMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
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
        var set = EvaluationFiles.Load(settings.NewQueries, settings.OldQueries, settings.Relevant, settings.IdPrefix, settings.Limit);
        using var client = new RetrievalClient(settings);
        var request = new EvaluateMigrationRequest { Collection = settings.Collection, Id = settings.Id, Evaluation = set, Actor = MigrationCommandSettings.Actor };
        MigrationView.Render(await client.Migrations.EvaluateMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

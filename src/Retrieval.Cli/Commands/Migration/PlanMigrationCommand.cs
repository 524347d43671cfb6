using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary><c>retrieval migration plan</c>: creates a migration from the default (or given) space to a new one.</summary>
internal sealed class PlanMigrationCommand : AsyncCommand<PlanMigrationCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandOption("--to <SPACE>")]
        [Description("the new model's space (add it to the collection first)")]
        public string To { get; init; } = "";

        [CommandOption("--from <SPACE>")]
        [Description("the old space (default: the collection's default space)")]
        public string? From { get; init; }

        [CommandOption("--id <ID>")]
        [Description("migration id (default: generated)")]
        public string? Id { get; init; }

        [CommandOption("--kind <KIND>")]
        [Description("map kind: orthogonal (default), canonical-q, affine, lambda-orthogonal, orthogonal-extend, residual-mlp, ranking-adapter, auto (cross-validated choice)")]
        public string Kind { get; init; } = "orthogonal";

        [CommandOption("--encoder <NAME>")]
        [Description("re-encode stored raw inputs server-side with this encoder (default: the client supplies vectors)")]
        public string? Encoder { get; init; }

        [CommandOption("--rate <ITEMS_PER_SECOND>")]
        [Description("server-side backfill rate limit (default: unthrottled)")]
        public double Rate { get; init; }

        [CommandOption("--max-anchors <N>")]
        public int MaxAnchors { get; init; }

        [CommandOption("--seed <SEED>")]
        public int? Seed { get; init; }

        [CommandOption("--two-sided-map <MAP_ID>")]
        [Description("re-projection: a two-sided map (maps fit --kind two-sided) whose pair maps --from into --to (the joint space); the backfill re-projects stored old vectors, no encoder")]
        public string? TwoSidedMap { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var request = new PlanMigrationRequest
        {
            Collection = settings.Collection,
            Id = settings.Id ?? "",
            FromSpace = settings.From ?? "",
            ToSpace = settings.To,
            Encoder = settings.Encoder ?? "",
            Actor = MigrationCommandSettings.Actor,
            Settings = new Contracts.V1.MigrationSettings { MapKind = MapKinds.Parse(settings.Kind), ItemsPerSecond = settings.Rate, MaxAnchors = settings.MaxAnchors, TwoSidedMap = settings.TwoSidedMap ?? "" },
        };
        if (settings.Seed is { } seed)
        {
            request.Settings.Seed = seed;
        }

        using var client = new RetrievalClient(settings);
        MigrationView.Render(await client.Migrations.PlanMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }
}

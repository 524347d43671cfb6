using System.ComponentModel;
using Retrieval.Cli.Commands.Migration;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary><c>retrieval maps fit</c>: fits a map from the collection's items holding both spaces and prints its report.</summary>
internal sealed class FitMapCommand : AsyncCommand<FitMapCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandOption("--from <SPACE>")]
        [Description("the new model's space (the map's input)")]
        public string From { get; init; } = "";

        [CommandOption("--to <SPACE>")]
        [Description("the old model's space (whose index is searched)")]
        public string To { get; init; } = "";

        [CommandOption("--kind <KIND>")]
        [Description("orthogonal, canonical-q, affine, lambda-orthogonal, orthogonal-extend, residual-mlp, ranking-adapter, or auto to cross-validate the kinds and fit the best (default canonical-q)")]
        public string Kind { get; init; } = "canonical-q";

        [CommandOption("--held-out <FRACTION>")]
        [Description("share of anchors held out for the report (default 0.2)")]
        public double? HeldOut { get; init; }

        [CommandOption("--seed <SEED>")]
        public int? Seed { get; init; }

        [CommandOption("--alpha <ALPHA>")]
        [Description("relative ridge strength of affine maps")]
        public double? Alpha { get; init; }

        [CommandOption("--lambda <LAMBDA>")]
        [Description("orthogonality weight of lambda-orthogonal maps")]
        public double? Lambda { get; init; }

        [CommandOption("--max-anchors <N>")]
        [Description("sample at most this many anchor items (default: all)")]
        public int MaxAnchors { get; init; }

        [CommandOption("--budget <SECONDS>")]
        [Description("auto: seconds for cross-validating the candidate kinds (default: the server's, 120)")]
        public double? Budget { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var request = new FitMapRequest
        {
            Collection = settings.Collection,
            FromSpace = settings.From,
            ToSpace = settings.To,
            Kind = MapKinds.Parse(settings.Kind),
            MaxAnchors = settings.MaxAnchors,
        };
        if (settings.HeldOut is { } heldOut)
        {
            request.HeldOutFraction = heldOut;
        }

        if (settings.Seed is { } seed)
        {
            request.Seed = seed;
        }

        if (settings.Alpha is { } alpha)
        {
            request.Alpha = alpha;
        }

        if (settings.Lambda is { } lambda)
        {
            request.Lambda = lambda;
        }

        if (settings.Budget is { } budget)
        {
            request.AutoBudgetSeconds = budget;
        }

        using var client = new RetrievalClient(settings);
        var response = await client.Maps.FitMapAsync(request, cancellationToken: cancellationToken);
        MapView.Render(response.Map);
        return 0;
    }
}

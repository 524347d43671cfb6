using System.ComponentModel;
using Retrieval.Cli.Commands.Migration;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
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
        [Description("orthogonal, canonical-q, affine, lambda-orthogonal, orthogonal-extend, residual-mlp, ranking-adapter, auto to cross-validate the kinds and fit the best, or two-sided for a pair into --joint (default canonical-q)")]
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

        [CommandOption("--joint <SPACE>")]
        [Description("two-sided: the space both maps end in (its dimension ≤ both models'); the old gallery is re-projected into it by a migration planned with --two-sided-map")]
        public string? Joint { get; init; }

        [CommandOption("--joint-regularization <EPSILON>")]
        [Description("two-sided: covariance shrinkage (> 0, a multiple of the mean eigenvalue); default: chosen on the evaluation queries")]
        public double? JointRegularization { get; init; }

        [CommandOption("--new-queries <FILE>")]
        [Description("evaluation: .npy of queries embedded by the new model (with --old-queries and --relevant)")]
        public string? NewQueries { get; init; }

        [CommandOption("--old-queries <FILE>")]
        [Description("evaluation: .npy of the same queries embedded by the old model")]
        public string? OldQueries { get; init; }

        [CommandOption("--relevant <FILE>")]
        [Description("evaluation: integer .npy of relevant item numbers per query (−1 pads)")]
        public string? Relevant { get; init; }

        [CommandOption("--id-prefix <PREFIX>")]
        [Description("evaluation: item ids are PREFIX + item number (as at ingest)")]
        public string IdPrefix { get; init; } = "";

        [CommandOption("--limit <N>")]
        [Description("evaluation: use at most N queries (default 1000)")]
        public int Limit { get; init; } = 1000;

        public override ValidationResult Validate()
        {
            var given = new[] { NewQueries, OldQueries, Relevant }.Count(f => !string.IsNullOrEmpty(f));
            return given is 0 or 3 ? base.Validate() : ValidationResult.Error("evaluation needs all of --new-queries, --old-queries and --relevant");
        }
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

        request.JointSpace = settings.Joint ?? "";
        if (settings.JointRegularization is { } regularization)
        {
            request.JointRegularization = regularization;
        }

        if (!string.IsNullOrEmpty(settings.NewQueries))
        {
            request.Evaluation = EvaluationFiles.Load(settings.NewQueries, settings.OldQueries!, settings.Relevant!, settings.IdPrefix, settings.Limit);
        }

        using var client = new RetrievalClient(settings);
        var response = await client.Maps.FitMapAsync(request, cancellationToken: cancellationToken);
        MapView.Render(response.Map);
        return 0;
    }
}

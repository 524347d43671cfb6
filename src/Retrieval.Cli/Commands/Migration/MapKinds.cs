using Retrieval.Contracts.V1;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>CLI spellings of map kinds.</summary>
internal static class MapKinds
{
    // Unknown names go to the server as UNSPECIFIED, which answers with the list of valid kinds.
    public static MapKind Parse(string kind) => kind.ToLowerInvariant() switch
    {
        "orthogonal" => MapKind.Orthogonal,
        "canonical-q" => MapKind.CanonicalQ,
        "affine" => MapKind.Affine,
        "lambda-orthogonal" => MapKind.LambdaOrthogonal,
        "orthogonal-extend" => MapKind.OrthogonalExtend,
        "residual-mlp" => MapKind.ResidualMlp,
        "ranking-adapter" => MapKind.RankingAdapter,
        "auto" => MapKind.Auto,
        "two-sided" => MapKind.TwoSided,
        _ => MapKind.Unspecified,
    };
}

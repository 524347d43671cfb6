using System.Globalization;
using Retrieval.Contracts.V1;

namespace Retrieval.Cli.Infrastructure;

/// <summary>Parses the CLI's compact space syntax <c>name:dimension:metric[:model[:version]]</c>.</summary>
internal static class SpaceSpec
{
    public static Space Parse(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 3 or > 5 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var dimension))
        {
            throw new FormatException($"space '{spec}' must look like name:dimension:metric[:model[:version]], e.g. v1:128:ip:minilm:1");
        }

        var metric = parts[2].ToUpperInvariant() switch
        {
            "IP" or "DOT" or "INNER_PRODUCT" => Metric.InnerProduct,
            "COS" or "COSINE" => Metric.Cosine,
            "L2" or "EUCLIDEAN" => Metric.L2,
            _ => throw new FormatException($"metric '{parts[2]}' must be ip, cosine or l2"),
        };
        return new Space
        {
            Name = parts[0],
            Dimension = dimension,
            Metric = metric,
            Model = new ModelRef { Name = parts.Length > 3 ? parts[3] : parts[0], Version = parts.Length > 4 ? parts[4] : "1" },
        };
    }
}

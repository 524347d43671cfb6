using System.Text.Json;
using System.Text.Json.Serialization;
using Retrieval.Core.Maps;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// The options a migration is planned with, persisted as JSON in its row. Null fit options take the
/// <see cref="MapFitOptions"/> defaults; every value can be changed by a later <c>:fit</c>.
/// </summary>
public sealed record MigrationParameters
{
    /// <summary>Kind of the new→old map. Default orthogonal (Procrustes).</summary>
    public MapKind MapKind { get; init; } = MapKind.Orthogonal;

    /// <summary>Share of anchors held out for the report; null: 0.2.</summary>
    public double? HeldOutFraction { get; init; }

    /// <summary>Seed of the anchor sample, split, fit and calibration sample; null: 1.</summary>
    public int? Seed { get; init; }

    /// <summary>Ridge strength for affine maps; null: default.</summary>
    public double? Alpha { get; init; }

    /// <summary>Orthogonality weight for λ-orthogonal maps; null: default.</summary>
    public double? Lambda { get; init; }

    /// <summary>Most anchors sampled; 0: all items holding both spaces.</summary>
    public int MaxAnchors { get; init; }

    /// <summary>The gate metric; null: recall@10.</summary>
    public GateMetric? GateMetric { get; init; }

    /// <summary>Server-side backfill rate limit in items per second; 0: unthrottled.</summary>
    public double ItemsPerSecond { get; init; }

    /// <summary>Online refit during the backfill (streamed statistics, scheduled refits, promotion).</summary>
    public OnlineRefitSettings Refit { get; init; } = new();

    /// <summary>
    /// A re-projection migration (issue 18 item 3): the id of a <see cref="MapKind.TwoSided"/> map whose pair maps this
    /// migration's from space (old) into its to space (joint). The backfill then re-projects stored old vectors through the
    /// gallery side instead of re-encoding, and cut-over activates the query side. Null: an ordinary migration.
    /// </summary>
    public string? TwoSidedMap { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    internal string Serialize() => JsonSerializer.Serialize(this, Json);

    internal static MigrationParameters Deserialize(string json) =>
        JsonSerializer.Deserialize<MigrationParameters>(json, Json) ?? throw new InvalidDataException("empty migration settings");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Retrieval.Core.Maps;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// What fit and evaluate established, persisted as JSON in the migration row: the calibration, the anchors used, the
/// evaluation report whose gate activation honours, and the progress at the end.
/// </summary>
public sealed record MigrationDetails
{
    public static MigrationDetails Empty { get; } = new();

    /// <summary>Linear calibration of mapped to native scores; null before fit.</summary>
    public ScoreCalibration? Calibration { get; init; }

    /// <summary>Anchors (items holding both spaces, or inline pairs) the maps were fitted on.</summary>
    public int Anchors { get; init; }

    /// <summary>Report of the last <c>:evaluate</c> (its gate is the one activation checks); null before evaluate.</summary>
    public MapReport? Evaluation { get; init; }

    /// <summary>Online refit during the backfill: the serving map version and every refit's report; null before the first refit.</summary>
    public OnlineRefitState? Refit { get; init; }

    /// <summary>Progress when the migration ended (rollback or retire); null while it is open, and for one that ended earlier.</summary>
    public MigrationProgress? ProgressAtEnd { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    internal string Serialize() => JsonSerializer.Serialize(this, Json);

    internal static MigrationDetails Deserialize(string? json) =>
        string.IsNullOrEmpty(json) ? Empty : JsonSerializer.Deserialize<MigrationDetails>(json, Json) ?? Empty;
}

using Retrieval.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>A collection and one of its maps.</summary>
internal class MapSettings : ServerSettings
{
    [CommandArgument(0, "<COLLECTION>")]
    public string Collection { get; init; } = "";

    [CommandArgument(1, "<MAP_ID>")]
    public string Id { get; init; } = "";
}

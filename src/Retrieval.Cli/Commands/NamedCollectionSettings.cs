using Retrieval.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class NamedCollectionSettings : ServerSettings
{
    [CommandArgument(0, "<NAME>")]
    public string Name { get; init; } = "";
}

using System.ComponentModel;
using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class NamedCollectionSettings : ServerSettings
{
    [CommandArgument(0, "<NAME>")]
    public string Name { get; init; } = "";
}

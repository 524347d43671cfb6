using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Keys;

internal class KeyIdSettings : ServerSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("the key's id, as keys list shows it")]
    public string Id { get; init; } = "";
}

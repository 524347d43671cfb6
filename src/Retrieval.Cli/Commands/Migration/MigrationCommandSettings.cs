using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>Arguments of every <c>retrieval migration</c> command that acts on one migration.</summary>
internal class MigrationCommandSettings : ServerSettings
{
    [CommandArgument(0, "<COLLECTION>")]
    public string Collection { get; init; } = "";

    [CommandArgument(1, "<ID>")]
    [Description("the migration id (from `migration plan` or `migration status`)")]
    public string Id { get; init; } = "";

    /// <summary>Recorded in the migration's audit trail.</summary>
    public static string Actor => "cli:" + Environment.UserName;
}

namespace Retrieval.Cli.Tests;

/// <summary>
/// Every command's <c>--help</c> renders. Spectre.Console parses descriptions as markup, so an unescaped <c>[</c> in a
/// description (a regex, a JSON example) crashes the help page of that command only; walking the whole tree catches it.
/// </summary>
public class HelpTests
{
    [Fact]
    public async Task Help_EveryCommandInTheTree_Renders()
    {
        var visited = new List<string>();
        await WalkAsync([], visited);

        // The walk must really have descended: a broken parser would visit only the root and pass.
        Assert.Contains("collections create", visited);
        Assert.Contains("search", visited);
        Assert.Contains("db migrate", visited);
    }

    private static async Task WalkAsync(string[] path, List<string> visited)
    {
        var (exitCode, output) = await CliHarness.RunAsync([.. path, "--help"]);
        var name = string.Join(' ', path);
        Assert.True(exitCode == 0, $"'retrieval {name} --help' exited {exitCode}: {output}");
        Assert.Contains("USAGE:", output);
        visited.Add(name);
        foreach (var child in SubcommandNames(output))
        {
            await WalkAsync([.. path, child], visited);
        }
    }

    /// <summary>Names listed under COMMANDS: (entries start at a 4-space indent; wrapped descriptions are indented deeper).</summary>
    private static IEnumerable<string> SubcommandNames(string help)
    {
        var inCommands = false;
        foreach (var line in help.Split('\n'))
        {
            if (line.StartsWith("COMMANDS:", StringComparison.Ordinal))
            {
                inCommands = true;
                continue;
            }

            if (!inCommands)
            {
                continue;
            }

            if (line.Length > 4 && line.StartsWith("    ", StringComparison.Ordinal) && line[4] != ' ')
            {
                yield return line[4..].Split(' ', 2)[0];
            }
            else if (line.Length > 0 && line[0] != ' ')
            {
                inCommands = false;
            }
        }
    }
}

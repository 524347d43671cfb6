using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Aliases;

/// <summary><c>aliases create|switch ALIAS COLLECTION</c>.</summary>
internal sealed class AliasTargetSettings : ServerSettings
{
    [CommandArgument(0, "<ALIAS>")]
    public string Alias { get; init; } = "";

    [CommandArgument(1, "<COLLECTION>")]
    public string Collection { get; init; } = "";
}

/// <summary><c>aliases delete ALIAS</c>.</summary>
internal sealed class AliasSettings : ServerSettings
{
    [CommandArgument(0, "<ALIAS>")]
    public string Alias { get; init; } = "";
}

internal sealed class CreateAliasCommand : AsyncCommand<AliasTargetSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, AliasTargetSettings settings, CancellationToken cancellationToken) =>
        AliasView.ApplyAsync(settings, new AliasAction { Create = new CreateAliasAction { Alias = settings.Alias, Collection = settings.Collection } },
            $"alias {settings.Alias} → {settings.Collection}", cancellationToken);
}

internal sealed class SwitchAliasCommand : AsyncCommand<AliasTargetSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, AliasTargetSettings settings, CancellationToken cancellationToken) =>
        AliasView.ApplyAsync(settings, new AliasAction { Switch = new SwitchAliasAction { Alias = settings.Alias, Collection = settings.Collection } },
            $"alias {settings.Alias} → {settings.Collection} (switched)", cancellationToken);
}

internal sealed class DeleteAliasCommand : AsyncCommand<AliasSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, AliasSettings settings, CancellationToken cancellationToken) =>
        AliasView.ApplyAsync(settings, new AliasAction { Delete = new DeleteAliasAction { Alias = settings.Alias } },
            $"deleted alias {settings.Alias}", cancellationToken);
}

internal sealed class ListAliasesCommand : AsyncCommand<ServerSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ServerSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var response = await client.Collections.ListAliasesAsync(new ListAliasesRequest(), cancellationToken: cancellationToken);
        AliasView.Render(response.Aliases);
        return 0;
    }
}

/// <summary>Sends one alias action and prints the outcome.</summary>
internal static class AliasView
{
    public static async Task<int> ApplyAsync(ServerSettings settings, AliasAction action, string done, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new UpdateAliasesRequest();
        request.Actions.Add(action);
        await client.Collections.UpdateAliasesAsync(request, cancellationToken: cancellationToken);
        AnsiConsole.WriteLine(done);
        return 0;
    }

    public static void Render(IEnumerable<Alias> aliases)
    {
        var table = new Table().AddColumns("alias", "collection");
        foreach (var alias in aliases)
        {
            table.AddRow(Markup.Escape(alias.Name), Markup.Escape(alias.Collection));
        }

        AnsiConsole.Write(table);
    }
}

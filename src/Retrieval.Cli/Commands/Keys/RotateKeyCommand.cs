using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Keys;

/// <summary>Replaces a key with a new one of the same name, scope and collections; the old one ends after the grace period.</summary>
internal sealed class RotateKeyCommand : AsyncCommand<RotateKeyCommand.Settings>
{
    internal sealed class Settings : KeyIdSettings
    {
        [CommandOption("--grace <DURATION>")]
        [Description("how long the old key keeps working (90d, 12h, 30m, 45s); default: revoked at once")]
        public string? Grace { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var grace = settings.Grace is null ? TimeSpan.Zero : Lifetime.Parse(settings.Grace, "--grace");
        using var client = new RetrievalClient(settings);
        var created = await client.Keys.RotateKeyAsync(
            new RotateKeyRequest { Id = settings.Id, GraceSeconds = (long)grace.TotalSeconds }, cancellationToken: cancellationToken);
        KeyView.PrintCreated(created.Key.Id, created.Secret);
        AnsiConsole.MarkupLineInterpolated($"key [bold]{settings.Id}[/] {(grace == TimeSpan.Zero ? "is revoked" : $"stops working in {grace}")}");
        return 0;
    }
}

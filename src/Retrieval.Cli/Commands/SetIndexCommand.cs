using System.ComponentModel;
using System.Globalization;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>
/// Sets, changes or removes the index of a live collection's space. The server answers at once: the optimizer builds
/// the new index in the background while searches go on (exactly, or through the old index) — <c>--watch</c> follows it.
/// </summary>
internal sealed class SetIndexCommand : AsyncCommand<SetIndexCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandArgument(1, "<SPACE>")]
        public string Space { get; init; } = "";

        [CommandArgument(2, "<SPEC>")]
        [Description("HNSW{M}[[,SQ8]][[,efConstruction=N]], IVF{n},Flat, IVF{n},PQ{m}x{bits} or IVF{n},SQ8; 'none' removes the index (exact search)")]
        public string Spec { get; init; } = "";

        [CommandOption("--watch")]
        [Description("show build progress until every vector of the space is indexed")]
        public bool Watch { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var spec = string.Equals(settings.Spec, "none", StringComparison.OrdinalIgnoreCase) ? "" : settings.Spec;
        var collection = await client.Collections.SetSpaceIndexAsync(
            new SetSpaceIndexRequest { Collection = settings.Collection, Space = settings.Space, Index = spec }, cancellationToken: cancellationToken);
        CollectionView.Render(collection);
        var request = new GetSpaceIndexStatusRequest { Collection = settings.Collection, Space = settings.Space };
        var status = await client.Collections.GetSpaceIndexStatusAsync(request, cancellationToken: cancellationToken);
        if (settings.Watch && spec.Length > 0)
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                // The appendable segment is indexed only once it is sealed (at the server's seal threshold): done
                // means every sealed segment carries the new index, or one build failed.
                var task = progress.AddTask($"indexing {settings.Space}", maxValue: Math.Max(1, status.TotalVectors - status.AppendableVectors));
                while (status.IndexedVectors + status.AppendableVectors < status.TotalVectors && !status.Segments.Any(s => s.Error.Length > 0))
                {
                    task.MaxValue = Math.Max(1, status.TotalVectors - status.AppendableVectors);
                    task.Value = status.IndexedVectors;
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    status = await client.Collections.GetSpaceIndexStatusAsync(request, cancellationToken: cancellationToken);
                }

                task.Value = task.MaxValue;
            });
        }

        if (status.Segments.FirstOrDefault(s => s.Error.Length > 0) is { } failed)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]shard {failed.Shard} segment {failed.Id}: build failed: {failed.Error}[/]");
            return 1;
        }

        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
            $"space [bold]{settings.Space}[/]: {(spec.Length == 0 ? "exact search" : spec)}; {status.IndexedVectors:N0} of {status.TotalVectors:N0} vectors indexed, {status.AppendableVectors:N0} in the appendable segment{(status.Shards.Count > 1 ? "s of " + status.Shards.Count.ToString(CultureInfo.InvariantCulture) + " shards" : "")}");
        return 0;
    }
}

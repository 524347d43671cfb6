using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

/// <summary>
/// Streams a file of vectors (.npy, .fvecs) or items (JSONL in the API's item JSON) into a collection over the
/// bidirectional upsert stream, keeping a bounded number of batches in flight, with a progress bar.
/// </summary>
internal sealed class IngestCommand : AsyncCommand<IngestCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<COLLECTION>")]
        public string Collection { get; init; } = "";

        [CommandArgument(1, "<FILE>")]
        [Description(".npy (float32/float64, rows × dim), .fvecs, or .jsonl (one item per line: {\"id\",\"payload\",\"vectors\":{...}})")]
        public string File { get; init; } = "";

        [CommandOption("--space <SPACE>")]
        [Description("space the vectors of a .npy/.fvecs file go to (default: the collection's default space)")]
        public string? Space { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("npy, fvecs or jsonl (default: from the file extension)")]
        public string? Format { get; init; }

        [CommandOption("--batch <N>")]
        [Description("items per atomic batch (default 1000)")]
        public int Batch { get; init; } = 1000;

        [CommandOption("--window <N>")]
        [Description("batches in flight before waiting for acknowledgements (default 4)")]
        public int Window { get; init; } = 4;

        [CommandOption("--id-prefix <PREFIX>")]
        [Description("ids of .npy/.fvecs rows are PREFIX + row number (default: empty)")]
        public string IdPrefix { get; init; } = "";

        [CommandOption("--limit <N>")]
        [Description("ingest at most N items")]
        public int? Limit { get; init; }

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error("--batch must be ≥ 1")
            : Window < 1 ? ValidationResult.Error("--window must be ≥ 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var space = settings.Space;
        if (space is null)
        {
            var collection = await client.Collections.GetCollectionAsync(new GetCollectionRequest { Name = settings.Collection }, cancellationToken: cancellationToken);
            space = collection.DefaultSpace;
        }

        var source = ItemSource.Open(settings.File, settings.Format, space, settings.IdPrefix);
        var total = settings.Limit is { } limit ? Math.Min(limit, source.Count) : source.Count;
        var stopwatch = Stopwatch.StartNew();
        long acknowledged = 0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"ingest {Markup.Escape(Path.GetFileName(settings.File))}", maxValue: total);
                acknowledged = await StreamAsync(client, settings, source.Items().Take(total), task, cancellationToken);
            });
        var seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"ingested [bold]{acknowledged:N0}[/] items in {seconds:F1} s: [bold]{acknowledged / seconds:N0}[/] items/s"));
        return 0;
    }

    private static async Task<long> StreamAsync(RetrievalClient client, Settings settings, IEnumerable<Item> items, ProgressTask task, CancellationToken cancellationToken)
    {
        using var call = client.Items.StreamUpsertItems(cancellationToken: cancellationToken);
        using var window = new SemaphoreSlim(settings.Window);
        long acknowledged = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                acknowledged += response.Upserted;
                task.Increment(response.Upserted);
                window.Release();
            }
        }, cancellationToken);

        foreach (var batch in items.Chunk(settings.Batch))
        {
            await window.WaitAsync(cancellationToken);
            if (reader.IsCompleted)
            {
                break; // the server ended the call (an error); the reader task reports it below
            }

            var request = new UpsertItemsRequest { Collection = settings.Collection };
            request.Items.Add(batch);
            await call.RequestStream.WriteAsync(request, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        await reader;
        return acknowledged;
    }
}

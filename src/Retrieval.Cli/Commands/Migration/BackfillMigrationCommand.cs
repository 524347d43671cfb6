using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>
/// <c>retrieval migration backfill</c>: starts the backfill phase (idempotent) and, given a file, streams its new-space
/// vectors in batches, each committed by the server with a checkpoint (file name and next row); a rerun after any crash
/// resumes from the committed checkpoint. Without a file it follows a server-side backfill.
/// </summary>
internal sealed class BackfillMigrationCommand : AsyncCommand<BackfillMigrationCommand.Settings>
{
    internal sealed class Settings : MigrationCommandSettings
    {
        [CommandOption("--vectors <FILE>")]
        [Description(".npy (rows × dim) of new-space vectors, or .jsonl with {\"id\": ..., \"vector\": [[...]]} per line")]
        public string? Vectors { get; init; }

        [CommandOption("--ids <FILE>")]
        [Description("text file with the item id of each .npy row, one per line")]
        public string? Ids { get; init; }

        [CommandOption("--id-prefix <PREFIX>")]
        [Description("without --ids: the id of .npy row r is PREFIX + r (as at ingest)")]
        public string IdPrefix { get; init; } = "";

        [CommandOption("--batch <N>")]
        [Description("vectors per committed batch (default 500)")]
        public int Batch { get; init; } = 500;

        [CommandOption("--rate <ITEMS_PER_SECOND>")]
        [Description("server-side backfill rate limit, set when the backfill starts")]
        public double? Rate { get; init; }

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error("--batch must be ≥ 1") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var start = new StartBackfillRequest { Collection = settings.Collection, Id = settings.Id, Actor = MigrationCommandSettings.Actor };
        if (settings.Rate is { } rate)
        {
            start.ItemsPerSecond = rate;
        }

        var migration = await client.Migrations.StartBackfillAsync(start, cancellationToken: cancellationToken);
        var request = new GetMigrationRequest { Collection = settings.Collection, Id = settings.Id };
        if (settings.Vectors is null)
        {
            await BackfillProgress.WatchAsync(client, request, cancellationToken);
            var done = await client.Migrations.GetMigrationAsync(request, cancellationToken: cancellationToken);
            MigrationView.Render(done);
            if (done.Progress?.LeftForClientItems > 0)
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"[yellow]{done.Progress.LeftForClientItems:N0} items had no stored raw input (or the encoder refused it): backfill them with --vectors before cutover[/]");
            }

            return 0;
        }

        var source = BackfillSource.Open(settings.Vectors, settings.Ids, settings.IdPrefix);
        var key = Path.GetFileName(settings.Vectors);
        var resumeAt = ResumeRow(migration.ClientCheckpoint, key);
        if (resumeAt > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"resuming [bold]{key}[/] at row {resumeAt:N0} (committed checkpoint)");
        }

        var stopwatch = Stopwatch.StartNew();
        long accepted = 0, skipped = 0;
        await BackfillProgress.Columns(AnsiConsole.Progress()).StartAsync(async progress =>
        {
            var task = progress.AddTask($"backfill {Markup.Escape(key)}", maxValue: source.Count);
            task.Value = resumeAt;
            using var call = client.Migrations.StreamBackfill(cancellationToken: cancellationToken);
            foreach (var batch in source.Rows(resumeAt).Chunk(settings.Batch))
            {
                var next = batch[^1].Row + 1;
                var message = new BackfillVectorsRequest { Collection = settings.Collection, Id = settings.Id, Checkpoint = Checkpoint(key, next) };
                message.Vectors.Add(batch.Select(r => new BackfillVector { Id = r.Id, Vector = new Vector { Values = { r.Vector } } }));
                await call.RequestStream.WriteAsync(message, cancellationToken);
                if (!await call.ResponseStream.MoveNext(cancellationToken))
                {
                    throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the server ended the backfill stream"));
                }

                accepted += call.ResponseStream.Current.Accepted;
                skipped += call.ResponseStream.Current.Skipped;
                task.Value = next;
            }

            await call.RequestStream.CompleteAsync();
        });

        var seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"backfilled [bold]{accepted:N0}[/] vectors ({skipped:N0} ids no longer in the collection) in {seconds:F1} s: [bold]{accepted / seconds:N0}[/] items/s"));
        MigrationView.Render(await client.Migrations.GetMigrationAsync(request, cancellationToken: cancellationToken));
        return 0;
    }

    private static string Checkpoint(string key, int nextRow) => string.Create(CultureInfo.InvariantCulture, $"{key}#{nextRow}");

    /// <summary>The row to resume at: the committed checkpoint's row when it belongs to the same file, else 0.</summary>
    internal static int ResumeRow(string checkpoint, string key)
    {
        var hash = checkpoint.LastIndexOf('#');
        return hash > 0 && checkpoint[..hash] == key && int.TryParse(checkpoint[(hash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var row) ? row : 0;
    }
}

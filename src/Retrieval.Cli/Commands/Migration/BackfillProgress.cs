using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>A live progress bar of a server-side backfill (items, rate, ETA), fed by polling the migration.</summary>
internal static class BackfillProgress
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static async Task WatchAsync(RetrievalClient client, GetMigrationRequest request, CancellationToken cancellationToken)
    {
        await Columns(AnsiConsole.Progress()).StartAsync(async progress =>
        {
            var migration = await client.Migrations.GetMigrationAsync(request, cancellationToken: cancellationToken);
            var task = progress.AddTask($"backfill {Markup.Escape(migration.Id)}", maxValue: Math.Max(1, migration.Progress?.TotalItems ?? 0));
            while (true)
            {
                var pending = Pending(migration);
                // A migration that ended before progress was recorded sends none: the bar ends empty.
                var total = migration.Progress?.TotalItems ?? 0;
                task.MaxValue = Math.Max(1, total);
                task.Value = total - pending;
                if (pending == 0 || migration.Phase is not (MigrationPhase.Backfilling or MigrationPhase.Active))
                {
                    break;
                }

                await Task.Delay(PollInterval, cancellationToken);
                migration = await client.Migrations.GetMigrationAsync(request, cancellationToken: cancellationToken);
            }
        });
    }

    /// <summary>
    /// Items the backfill still has to reach: without an encoder, those lacking a new vector; with one, also the derived
    /// items the worker re-encodes at the end, less those it left for the client (no stored raw input).
    /// </summary>
    internal static long Pending(Contracts.V1.Migration migration)
    {
        var p = migration.Progress ?? new MigrationProgress();
        return string.IsNullOrEmpty(migration.Encoder)
            ? p.MissingNewItems
            : Math.Max(0, p.MissingNewItems + p.DerivedItems - p.LeftForClientItems);
    }

    /// <summary>The columns every migration progress bar shows: items done/total, rate, ETA.</summary>
    public static Progress Columns(Progress progress) => progress.Columns(
        new TaskDescriptionColumn(),
        new ProgressBarColumn(),
        new PercentageColumn(),
        new ItemCountColumn(),
        new ItemRateColumn(),
        new RemainingTimeColumn(),
        new SpinnerColumn());
}

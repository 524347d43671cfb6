using System.ComponentModel;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Snapshots;

/// <summary><c>snapshots create|list COLLECTION</c>.</summary>
internal class SnapshotCollectionSettings : ServerSettings
{
    [CommandArgument(0, "<COLLECTION>")]
    public string Collection { get; init; } = "";
}

/// <summary><c>snapshots download|delete COLLECTION NAME</c>.</summary>
internal class SnapshotSettings : SnapshotCollectionSettings
{
    [CommandArgument(1, "<NAME>")]
    [Description("the snapshot's name (from `snapshots create` or `snapshots list`)")]
    public string Name { get; init; } = "";
}

internal sealed class CreateSnapshotCommand : AsyncCommand<CreateSnapshotCommand.Settings>
{
    public sealed class Settings : SnapshotCollectionSettings
    {
        [CommandOption("--name <NAME>")]
        [Description("letters a-z, digits, _ and - (1 to 64); default the time and sequence")]
        public string? Name { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var snapshot = await client.Snapshots.CreateSnapshotAsync(
            new CreateSnapshotRequest { Collection = settings.Collection, Name = settings.Name ?? "" }, cancellationToken: cancellationToken);
        SnapshotView.Render([snapshot]);
        return 0;
    }
}

internal sealed class ListSnapshotsCommand : AsyncCommand<SnapshotCollectionSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SnapshotCollectionSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var response = await client.Snapshots.ListSnapshotsAsync(new ListSnapshotsRequest { Collection = settings.Collection }, cancellationToken: cancellationToken);
        SnapshotView.Render(response.Snapshots);
        return 0;
    }
}

internal sealed class DownloadSnapshotCommand : AsyncCommand<DownloadSnapshotCommand.Settings>
{
    public sealed class Settings : SnapshotSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("where to write the archive; default COLLECTION-NAME.tar in the current directory")]
        public string? Output { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(settings.Output ?? $"{settings.Collection}-{settings.Name}.tar");
        var partial = output + ".partial";
        using var client = new RetrievalClient(settings);
        using var call = client.Snapshots.DownloadSnapshot(
            new DownloadSnapshotRequest { Collection = settings.Collection, Name = settings.Name }, cancellationToken: cancellationToken);
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    await file.WriteAsync(chunk.Data.Memory, cancellationToken);
                }
            }

            // Only a whole download takes the file's name.
            File.Move(partial, output, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }

        AnsiConsole.WriteLine($"downloaded {settings.Collection}/{settings.Name} to {output} ({new FileInfo(output).Length} bytes)");
        return 0;
    }
}

internal sealed class RestoreSnapshotCommand : AsyncCommand<RestoreSnapshotCommand.Settings>
{
    /// <summary>Upload chunk size: under the server's default message limit.</summary>
    private const int ChunkBytes = 1024 * 1024;

    public sealed class Settings : SnapshotCollectionSettings
    {
        [CommandArgument(1, "[NAME]")]
        [Description("a snapshot kept for COLLECTION; leave out with --file")]
        public string? Name { get; init; }

        [CommandOption("--file <ARCHIVE>")]
        [Description("upload this archive (from `snapshots download`, this server or another) and restore it into COLLECTION")]
        public string? File { get; init; }

        [CommandOption("--target <COLLECTION>")]
        [Description("restore a kept snapshot into this collection instead of COLLECTION")]
        public string? Target { get; init; }

        [CommandOption("--overwrite")]
        [Description("replace the collection when it exists (refused while a migration is open on it)")]
        public bool Overwrite { get; init; }

        public override ValidationResult Validate() => (Name, File, Target) switch
        {
            (null, null, _) => ValidationResult.Error("give a snapshot NAME, or an archive with --file"),
            ({ }, { }, _) => ValidationResult.Error("give either a snapshot NAME or --file, not both"),
            (null, { }, { }) => ValidationResult.Error("--target goes with a snapshot NAME; with --file, COLLECTION is the target"),
            (null, { } file, _) when !System.IO.File.Exists(file) => ValidationResult.Error($"--file: {file} does not exist"),
            _ => ValidationResult.Success(),
        };
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var restored = settings.File is { } file
            ? await UploadAsync(client, file, settings.Collection, settings.Overwrite, cancellationToken)
            : await client.Snapshots.RestoreSnapshotAsync(
                new RestoreSnapshotRequest { Collection = settings.Collection, Name = settings.Name, Target = settings.Target ?? "", Overwrite = settings.Overwrite },
                cancellationToken: cancellationToken);
        AnsiConsole.WriteLine($"restored {restored.Collection.Name}: {restored.Collection.ItemCount} items at sequence {restored.Snapshot.Sequence}");
        return 0;
    }

    private static async Task<RestoreSnapshotResponse> UploadAsync(RetrievalClient client, string path, string collection, bool overwrite, CancellationToken cancellationToken)
    {
        using var call = client.Snapshots.UploadSnapshot(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new UploadSnapshotChunk { Header = new UploadSnapshotHeader { Collection = collection, Overwrite = overwrite } }, cancellationToken);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, useAsync: true))
        {
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                await call.RequestStream.WriteAsync(new UploadSnapshotChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
            }
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }
}

internal sealed class DeleteSnapshotCommand : AsyncCommand<SnapshotSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SnapshotSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        await client.Snapshots.DeleteSnapshotAsync(new DeleteSnapshotRequest { Collection = settings.Collection, Name = settings.Name }, cancellationToken: cancellationToken);
        AnsiConsole.WriteLine($"deleted snapshot {settings.Collection}/{settings.Name}");
        return 0;
    }
}

/// <summary>Prints snapshots as a table.</summary>
internal static class SnapshotView
{
    public static void Render(IEnumerable<Snapshot> snapshots)
    {
        var table = new Table().AddColumns("name", "sequence", "created", "store", "items", "raw inputs", "maps", "migrations", "index files", "bytes", "sha256");
        foreach (var s in snapshots)
        {
            var created = s.CreatedAt?.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "";
            table.AddRow(
                Markup.Escape(s.Name),
                Cell(s.Sequence),
                Markup.Escape(created),
                Markup.Escape(s.StoreKind),
                Cell(s.Items),
                Cell(s.RawInputs),
                Cell(s.Maps),
                Cell(s.Migrations),
                Cell(s.IndexFiles),
                Cell(s.SizeBytes),
                s.Problem.Length > 0 ? $"[red]{Markup.Escape(s.Problem)}[/]" : Markup.Escape(s.ContentSha256[..Math.Min(16, s.ContentSha256.Length)]));
        }

        AnsiConsole.Write(table);
    }

    private static string Cell(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

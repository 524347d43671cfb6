using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>The transitions without options: pause, resume, cutover, rollback, retire. Each prints the migration after.</summary>
internal abstract class MigrationActionCommand : AsyncCommand<MigrationCommandSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, MigrationCommandSettings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new MigrationActionRequest { Collection = settings.Collection, Id = settings.Id, Actor = MigrationCommandSettings.Actor };
        MigrationView.Render(await CallAsync(client.Migrations, request, cancellationToken));
        return 0;
    }

    protected abstract Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken);
}

/// <summary><c>retrieval migration pause</c>.</summary>
internal sealed class PauseMigrationCommand : MigrationActionCommand
{
    protected override Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken) =>
        client.PauseMigrationAsync(request, cancellationToken: cancellationToken).ResponseAsync;
}

/// <summary><c>retrieval migration resume</c>.</summary>
internal sealed class ResumeMigrationCommand : MigrationActionCommand
{
    protected override Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken) =>
        client.ResumeMigrationAsync(request, cancellationToken: cancellationToken).ResponseAsync;
}

/// <summary><c>retrieval migration cutover</c>.</summary>
internal sealed class CutoverMigrationCommand : MigrationActionCommand
{
    protected override Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken) =>
        client.CutoverMigrationAsync(request, cancellationToken: cancellationToken).ResponseAsync;
}

/// <summary><c>retrieval migration rollback</c>.</summary>
internal sealed class RollbackMigrationCommand : MigrationActionCommand
{
    protected override Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken) =>
        client.RollbackMigrationAsync(request, cancellationToken: cancellationToken).ResponseAsync;
}

/// <summary><c>retrieval migration retire</c>.</summary>
internal sealed class RetireMigrationCommand : MigrationActionCommand
{
    protected override Task<Contracts.V1.Migration> CallAsync(Migrations.MigrationsClient client, MigrationActionRequest request, CancellationToken cancellationToken) =>
        client.RetireMigrationAsync(request, cancellationToken: cancellationToken).ResponseAsync;
}

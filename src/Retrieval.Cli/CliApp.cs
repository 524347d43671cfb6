using Retrieval.Cli.Commands;
using Retrieval.Cli.Commands.Aliases;
using Retrieval.Cli.Commands.Keys;
using Retrieval.Cli.Commands.Migration;
using Retrieval.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli;

/// <summary>The <c>retrieval</c> command tree.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("retrieval");
            // Bind the console of this run explicitly: Spectre otherwise keeps the first console it saw (in-process
            // tests swap AnsiConsole.Console per run).
            config.ConfigureConsole(AnsiConsole.Console);
            config.SetExceptionHandler((exception, _) => GrpcErrorFilter.Report(exception));
            config.AddBranch("collections", collections =>
            {
                collections.SetDescription("create, list, inspect and delete collections");
                collections.AddCommand<CreateCollectionCommand>("create").WithDescription("create a collection with one or more spaces");
                collections.AddCommand<ListCollectionsCommand>("list").WithDescription("list collections");
                collections.AddCommand<GetCollectionCommand>("get").WithDescription("show one collection");
                collections.AddCommand<DeleteCollectionCommand>("delete").WithDescription("delete a collection and all its items");
                collections.AddCommand<SetIndexCommand>("set-index").WithDescription("set, change or remove (none) the index of a space; the build runs in the background (--watch follows it)");
            });
            config.AddBranch("maps", maps =>
            {
                maps.SetDescription("fit, inspect, activate and retire compatibility maps between embedding spaces");
                maps.AddCommand<FitMapCommand>("fit").WithDescription("fit a map from items holding vectors in both spaces and print its report");
                maps.AddCommand<ListMapsCommand>("list").WithDescription("list a collection's maps");
                maps.AddCommand<ShowMapCommand>("show").WithDescription("show one map and its report");
                maps.AddCommand<ActivateMapCommand>("activate").WithDescription("route queries through a map (retires the pair's previous one)");
                maps.AddCommand<RetireMapCommand>("retire").WithDescription("stop routing queries through a map");
            });
            config.AddBranch("migration", migration =>
            {
                migration.SetDescription("model-upgrade migrations: plan → fit → evaluate → activate → backfill → cutover → retire (or rollback)");
                migration.AddCommand<PlanMigrationCommand>("plan").WithDescription("plan a migration from the default (or --from) space to a new space");
                migration.AddCommand<FitMigrationCommand>("fit").WithDescription("fit the new→old map, its inverse and the score calibration on items holding both spaces");
                migration.AddCommand<EvaluateMigrationCommand>("evaluate").WithDescription("measure the map on queries embedded by both models (BCT gate)");
                migration.AddCommand<ActivateMigrationCommand>("activate").WithDescription("send new-space queries through the map (mixed search)");
                migration.AddCommand<BackfillMigrationCommand>("backfill").WithDescription("start the backfill and stream new vectors from a file (resumable), or follow a server-side backfill");
                migration.AddCommand<StatusMigrationCommand>("status").WithDescription("list migrations, or show one (--watch: live progress)");
                migration.AddCommand<PauseMigrationCommand>("pause").WithDescription("pause the backfill");
                migration.AddCommand<ResumeMigrationCommand>("resume").WithDescription("resume the backfill");
                migration.AddCommand<CutoverMigrationCommand>("cutover").WithDescription("make the new space the default space (every item needs a new vector)");
                migration.AddCommand<RollbackMigrationCommand>("rollback").WithDescription("return to the behaviour before the migration (any phase before retire)");
                migration.AddCommand<RetireMigrationCommand>("retire").WithDescription("delete the old space, its vectors and index");
            });
            config.AddBranch("aliases", aliases =>
            {
                aliases.SetDescription("collection aliases: names every command accepts in place of a collection; switch one for blue/green re-indexing");
                aliases.AddCommand<CreateAliasCommand>("create").WithDescription("create an alias of a collection");
                aliases.AddCommand<DeleteAliasCommand>("delete").WithDescription("delete an alias (the collection stays)");
                aliases.AddCommand<SwitchAliasCommand>("switch").WithDescription("point an alias at another collection, atomically");
                aliases.AddCommand<ListAliasesCommand>("list").WithDescription("list aliases and their collections");
            });
            config.AddCommand<IngestCommand>("ingest").WithDescription("stream vectors or items from a file into a collection");
            config.AddCommand<SearchCommand>("search").WithDescription("search a collection");
            config.AddBranch("keys", keys =>
            {
                keys.SetDescription("API keys: create (--bootstrap: offline, into the store), list, revoke, rotate (docs/security.md)");
                keys.AddCommand<CreateKeyCommand>("create").WithDescription("create a key; its secret is printed once");
                keys.AddCommand<ListKeysCommand>("list").WithDescription("list keys (never their secrets)");
                keys.AddCommand<RevokeKeyCommand>("revoke").WithDescription("revoke a key at once");
                keys.AddCommand<RotateKeyCommand>("rotate").WithDescription("replace a key with a new one; the old one ends after --grace");
            });
            config.AddBranch("cluster", cluster =>
            {
                cluster.SetDescription("cluster mode (docs/operations.md)");
                cluster.AddCommand<ClusterStatusCommand>("status").WithDescription("list the cluster's nodes as its membership records them (address, state, name, start)");
            });
            config.AddBranch("db", db =>
            {
                db.SetDescription("store administration");
                db.AddCommand<DbMigrateCommand>("migrate").WithDescription("apply pending PostgreSQL schema migrations (including cluster mode's membership tables)");
            });
        });
        return app.RunAsync(args);
    }
}

using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Durability;

/// <summary>
/// The server-side re-encoding backfill (source b) under SIGKILL: a child server's worker re-encodes stored texts with
/// the new encoder, throttled, and is killed at random points; after each restart the committed state is consistent
/// (the backfilled counter equals the items made native: nothing counted twice) and the worker goes on from its
/// committed cursor. At the end every item holds exactly what the new encoder makes of its text.
/// </summary>
public abstract class ReencodingCrashTests(ITestOutputHelper output)
{
    private const int Items = 500;
    private const int Anchors = 60;
    private const int Cycles = 2;
    private const double Rate = 200;

    protected abstract Task<ChildServerStore> CreateStoreAsync();

    protected async Task RunAsync()
    {
        await using var store = await CreateStoreAsync();
        var configuration = store.Configuration;
        configuration.Extra["Retrieval:Backfill:BatchSize"] = "40";
        configuration.Extra["Retrieval:Backfill:IdleDelayMilliseconds"] = "100";
        var scenario = new ReencodingScenario(Items, Anchors, seed: 81);
        var random = new Random(82);
        string name;
        await using (var first = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60)))
        {
            name = await scenario.CreateAsync(first.Encoders, first.Collections, first.Items, "mig-reencode-crash");
            await first.Migrations.PlanMigrationAsync(new PlanMigrationRequest
            {
                Collection = name, Id = "r", ToSpace = "v2", Encoder = scenario.NewEncoder, Settings = new MigrationSettings { ItemsPerSecond = Rate },
            });
            await first.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "r" });
            await first.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "r", Force = true });
            await first.Migrations.StartBackfillAsync(new StartBackfillRequest { Collection = name, Id = "r" });
            await Task.Delay(random.Next(100, 400));
            await first.KillAsync();
        }

        var previous = 0L;
        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            configuration.RenewPorts();
            await using var server = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
            // Paused, the worker stops after its current batch: the committed state can be read without racing it.
            var paused = await server.Migrations.PauseMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r" });
            var status = await server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "r" });
            output.WriteLine($"cycle {cycle}: {status.Backfilled} re-encoded, cursor {status.WorkerCursor}");
            Assert.Equal(MigrationPhase.Paused, paused.Phase);
            Assert.Equal(status.Progress.NativeItems - Anchors, status.Backfilled);
            Assert.True(status.Backfilled >= previous, $"cycle {cycle}: {status.Backfilled} re-encoded items after {previous} before");
            previous = status.Backfilled;

            await server.Migrations.ResumeMigrationAsync(new MigrationActionRequest { Collection = name, Id = "r" });
            await Task.Delay(random.Next(150, 500));
            await server.KillAsync();
        }

        configuration.RenewPorts();
        await using var final = await ChildServerProcess.StartAsync(configuration, TimeSpan.FromSeconds(60));
        var done = await WaitForWorkerAsync(final, name);
        Assert.True(previous < scenario.ToReencode, "the kills came too late to interrupt the walk");
        Assert.Equal(scenario.ToReencode, done.Backfilled);
        Assert.Equal((1L, 1L), (done.Progress.LeftForClientItems, done.Progress.MissingNewItems));

        var expected = await scenario.EncodeNewAsync(final.Encoders, scenario.Texts);
        foreach (var chunk in Enumerable.Range(0, Items).Chunk(250))
        {
            var got = await final.Items.GetItemsAsync(new GetItemsRequest { Collection = name, Ids = { chunk.Select(ReencodingScenario.Id) }, WithVectors = true });
            Assert.Equal(chunk.Length, got.Items.Count);
            foreach (var item in got.Items)
            {
                var i = int.Parse(item.Id["doc-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                var actual = item.Vectors["v2"].Values;
                Assert.All(expected[i].Zip(actual), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-5, $"{item.Id}: {pair.First} vs {pair.Second}"));
            }
        }
    }

    private static async Task<Migration> WaitForWorkerAsync(ChildServerProcess server, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (true)
        {
            var migration = await server.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "r" }, cancellationToken: timeout.Token);
            var p = migration.Progress;
            if (p.MissingNewItems + p.DerivedItems == p.LeftForClientItems && p.LeftForClientItems > 0)
            {
                return migration;
            }

            await Task.Delay(100, timeout.Token);
        }
    }
}

public sealed class SqliteReencodingCrashTests(ITestOutputHelper output) : ReencodingCrashTests(output)
{
    [Fact]
    public Task SigkillDuringReencoding_WorkerResumesFromItsCursor_LosesAndDuplicatesNothing() => RunAsync();

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.SqliteAsync();
}

public sealed class PostgresReencodingCrashTests(ITestOutputHelper output) : ReencodingCrashTests(output)
{
    [SkippableFact]
    public Task SigkillDuringReencoding_WorkerResumesFromItsCursor_LosesAndDuplicatesNothing()
    {
        Skip.If(PostgresTestEnvironment.SkipReason is not null, PostgresTestEnvironment.SkipReason);
        return RunAsync();
    }

    protected override Task<ChildServerStore> CreateStoreAsync() => ChildServerStore.PostgresAsync();
}

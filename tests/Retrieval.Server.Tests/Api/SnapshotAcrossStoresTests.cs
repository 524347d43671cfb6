using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Retrieval.Contracts.V1;
using Retrieval.Core.Storage;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// A backup made on one server restores on another of the other store kind: a collection on SQLite with stored raw
/// inputs, tombstones, fitted maps and an open migration is snapshotted, downloaded, uploaded to a PostgreSQL server,
/// and everything compares equal there: every store row (items with their sequence numbers, payloads, vectors,
/// tombstones, raw inputs, maps, migrations, their events and derived lists) and the answers of the API.
/// </summary>
public sealed partial class SnapshotAcrossStoresTests(SqliteServerFixture sqlite, PostgresServerFixture postgres)
    : IClassFixture<SqliteServerFixture>, IClassFixture<PostgresServerFixture>
{
    [SkippableFact]
    public async Task SnapshotOnSqlite_RestoredOnPostgres_ComparesEqual()
    {
        var target = postgres.Server;
        var source = sqlite.Server;
        var scenario = new ReencodingScenario(items: 60, anchors: 20, seed: 31);
        var name = await scenario.CreateAsync(source.Encoders, source.Collections, source.Items, "across");
        await source.Items.DeleteItemsAsync(new DeleteItemsRequest { Collection = name, Ids = { ReencodingScenario.Id(5), ReencodingScenario.Id(40) } });
        await source.Migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = name, Id = "m1", ToSpace = "v2", Encoder = scenario.NewEncoder, Actor = "test" });
        await source.Migrations.FitMigrationAsync(new FitMigrationRequest { Collection = name, Id = "m1" });
        var active = await source.Migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = name, Id = "m1" });
        Assert.Equal(MigrationPhase.Active, active.Phase);
        // A write with a plain old-space vector while the migration keeps both spaces: its new vector is derived.
        var late = new Item { Id = "late", Payload = new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["late"] = Google.Protobuf.WellKnownTypes.Value.ForBool(true) } } };
        late.Vectors.Add("v1", new Vector { Values = { 0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f } });
        await source.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = name, Items = { late } });

        var sourceSnapshots = new Snapshots.SnapshotsClient(source.Channel);
        var snapshot = await sourceSnapshots.CreateSnapshotAsync(new CreateSnapshotRequest { Collection = name });
        Assert.Equal("sqlite", snapshot.StoreKind);
        Assert.True(snapshot.Maps >= 1 && snapshot.Migrations == 1 && snapshot.RawInputs > 0 && snapshot.Tombstones == 2, snapshot.ToString());

        using var archive = new MemoryStream();
        using (var download = sourceSnapshots.DownloadSnapshot(new DownloadSnapshotRequest { Collection = name, Name = snapshot.Name }))
        {
            await foreach (var chunk in download.ResponseStream.ReadAllAsync())
            {
                chunk.Data.WriteTo(archive);
            }
        }

        await scenario.RegisterEncodersAsync(target.Encoders);
        using (var upload = new Snapshots.SnapshotsClient(target.Channel).UploadSnapshot())
        {
            await upload.RequestStream.WriteAsync(new UploadSnapshotChunk { Header = new UploadSnapshotHeader { Collection = name } });
            foreach (var chunk in archive.ToArray().Chunk(256 * 1024))
            {
                await upload.RequestStream.WriteAsync(new UploadSnapshotChunk { Data = ByteString.CopyFrom(chunk) });
            }

            await upload.RequestStream.CompleteAsync();
            var restored = await upload;
            Assert.Equal(snapshot.ContentSha256, restored.Snapshot.ContentSha256);
        }

        Assert.Equal(await DumpAsync(source, name), await DumpAsync(target, name));

        var sourceCollection = await source.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        var targetCollection = await target.Collections.GetCollectionAsync(new GetCollectionRequest { Name = name });
        Assert.Equal(sourceCollection.Spaces, targetCollection.Spaces);
        Assert.Equal(sourceCollection.ItemCount, targetCollection.ItemCount);
        Assert.Equal(await ScrollAsync(source, name), await ScrollAsync(target, name));
        Assert.Equal(
            Microseconds(await source.Maps.ListMapsAsync(new ListMapsRequest { Collection = name })),
            Microseconds(await target.Maps.ListMapsAsync(new ListMapsRequest { Collection = name })));
        Assert.Equal(
            Microseconds(await source.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "m1" })),
            Microseconds(await target.Migrations.GetMigrationAsync(new GetMigrationRequest { Collection = name, Id = "m1" })));
        foreach (var space in new[] { "v1", "v2" })
        {
            // v2 searches mix native and mapped vectors while the migration is open: the maps came along.
            var query = new SearchRequest { Collection = name, Space = space, Vector = new Vector { Values = { 0.3f, -0.1f, 0.2f, 0.5f, -0.4f, 0.1f } }, K = 15 };
            var expected = await source.Search.SearchAsync(query);
            var actual = await target.Search.SearchAsync(query);
            Assert.Equal(expected.Hits.Select(h => (h.Id, h.Score, h.Path)), actual.Hits.Select(h => (h.Id, h.Score, h.Path)));
            Assert.Equal(expected.MapsUsed, actual.MapsUsed);
        }
    }

    private static async Task<List<Item>> ScrollAsync(InProcessServer server, string collection)
    {
        var page = await server.Items.ScrollItemsAsync(new ScrollItemsRequest { Collection = collection, Limit = 1000, WithVectors = true, WithInputs = true });
        Assert.Empty(page.NextCursor);
        return [.. page.Items];
    }

    /// <summary>Every row the server's store holds for the collection, as text lines in a store-independent form.</summary>
    private static async Task<List<string>> DumpAsync(InProcessServer server, string collection)
    {
        var store = server.Services.GetRequiredService<IRetrievalStore>();
        return await store.ExportCollectionAsync(collection, async (rows, ct) =>
        {
            var lines = new List<string>
            {
                $"definition {CollectionDefinitionJson.Serialize(rows.Definition)} {rows.Definition.CreatedAt:O} {rows.Definition.UpdatedAt:O} last {rows.LastSequence}",
            };
            await foreach (var change in rows.Changes.WithCancellation(ct))
            {
                lines.Add(change.Item is not { } item
                    ? $"tombstone {change.Id} {change.Sequence}"
                    : $"item {item.Id} {item.Sequence} {item.PayloadJson} " + string.Join(" ", item.Vectors.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={Floats(v.Value)}")));
            }

            await foreach (var input in rows.RawInputs.WithCancellation(ct))
            {
                lines.Add($"input {input.ItemId} {input.Space} {input.Input.Kind} {Convert.ToHexString(input.Input.Content)}");
            }

            await foreach (var map in rows.Maps.WithCancellation(ct))
            {
                lines.Add($"map {JsonSerializer.Serialize(map with { Collection = "" })}");
            }

            await foreach (var migration in rows.Migrations.WithCancellation(ct))
            {
                lines.Add($"migration {JsonSerializer.Serialize(migration)}");
            }

            await foreach (var e in rows.MigrationEvents.WithCancellation(ct))
            {
                lines.Add($"event {JsonSerializer.Serialize(e)}");
            }

            await foreach (var derived in rows.DerivedItems.WithCancellation(ct))
            {
                lines.Add($"derived {derived.MigrationId} {derived.ItemId}");
            }

            return lines;
        }, CancellationToken.None);
    }

    /// <summary>
    /// A message as JSON with times cut to microseconds: the stores keep microseconds, while the source server still
    /// holds the maps and migration it made in memory at 100 ns (it too reads microseconds after a restart).
    /// </summary>
    private static string Microseconds(IMessage message) =>
        FractionalSeconds().Replace(JsonFormatter.Default.Format(message), m => "." + (m.Groups[1].Value + "000000")[..6] + "Z");

    [System.Text.RegularExpressions.GeneratedRegex(@"\.(\d{1,9})Z")]
    private static partial System.Text.RegularExpressions.Regex FractionalSeconds();

    private static string Floats(float[] values)
    {
        var text = new StringBuilder();
        foreach (var value in values)
        {
            text.Append(BitConverter.SingleToInt32Bits(value).ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}

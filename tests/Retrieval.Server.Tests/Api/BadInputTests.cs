using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// Every bad input in <see cref="BadInputCases"/>, over REST and gRPC: the right status, a message naming the
/// field, and no change to any collection, item or encoder.
/// </summary>
public abstract class BadInputTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private const string Seeded = "seeded-bad-input";
    private static readonly JsonParser StrictParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly SemaphoreSlim SeedGate = new(1, 1);

    private InProcessServer Server => fixture.Server;

    [SkippableTheory]
    [MemberData(nameof(BadInputCases.Names), MemberType = typeof(BadInputCases))]
    public async Task Rest_BadInput_IsRefusedWithFieldAndChangesNothing(string caseName)
    {
        var badCase = BadInputCases.Find(caseName);
        await SeedAsync();
        var before = await SnapshotAsync();

        using var response = badCase.Operation == Operation.DeleteEncoder
            ? await Server.Rest.DeleteAsync(new Uri(RestPath(badCase), UriKind.Relative))
            : await Server.PostJsonAsync(RestPath(badCase), badCase.Body);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(badCase.HttpStatus == (int)response.StatusCode, $"{caseName}: HTTP {(int)response.StatusCode} {body}");
        Assert.Contains(badCase.Field, body, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [SkippableTheory]
    [MemberData(nameof(BadInputCases.GrpcNames), MemberType = typeof(BadInputCases))]
    public async Task Grpc_BadInput_IsRefusedWithFieldAndChangesNothing(string caseName)
    {
        var badCase = BadInputCases.Find(caseName);
        var expected = badCase.GrpcStatus!.Value;

        await SeedAsync();
        var before = await SnapshotAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => CallGrpcAsync(badCase));
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(badCase.Field, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    private static string RestPath(BadInputCase badCase)
    {
        var c = badCase.Collection ?? Seeded;
        return badCase.Operation switch
        {
            Operation.CreateCollection => "/v1/collections",
            Operation.AddSpace => $"/v1/collections/{c}/spaces",
            Operation.Upsert => $"/v1/collections/{c}/items:upsert",
            Operation.Delete => $"/v1/collections/{c}/items:delete",
            Operation.Get => $"/v1/collections/{c}/items:get",
            Operation.Scroll => $"/v1/collections/{c}/items:scroll",
            Operation.Search => $"/v1/collections/{c}:search",
            Operation.SearchBatch => $"/v1/collections/{c}:searchBatch",
            Operation.FitMap => $"/v1/collections/{c}/maps:fit",
            Operation.DeleteEncoder => $"/v1/encoders/{badCase.Body}",
            Operation.SetIndex => $"/v1/collections/{c}/spaces/v1:setIndex",
            Operation.PlanMigration => $"/v1/collections/{c}/migrations",
            Operation.BackfillVectors => $"/v1/collections/{c}/migrations/nope:backfillVectors",
            _ => throw new ArgumentOutOfRangeException(nameof(badCase)),
        };
    }

    private async Task CallGrpcAsync(BadInputCase badCase)
    {
        var c = badCase.Collection ?? Seeded;
        switch (badCase.Operation)
        {
            case Operation.CreateCollection:
                await Server.Collections.CreateCollectionAsync(StrictParser.Parse<CreateCollectionRequest>(badCase.Body));
                break;
            case Operation.AddSpace:
                await Server.Collections.AddSpaceAsync(new AddSpaceRequest { Collection = c, Space = StrictParser.Parse<Space>(badCase.Body) });
                break;
            case Operation.Upsert:
                var upsert = StrictParser.Parse<UpsertItemsRequest>(badCase.Body);
                upsert.Collection = c;
                await Server.Items.UpsertItemsAsync(upsert);
                break;
            case Operation.Delete:
                var delete = StrictParser.Parse<DeleteItemsRequest>(badCase.Body);
                delete.Collection = c;
                await Server.Items.DeleteItemsAsync(delete);
                break;
            case Operation.Get:
                var get = StrictParser.Parse<GetItemsRequest>(badCase.Body);
                get.Collection = c;
                await Server.Items.GetItemsAsync(get);
                break;
            case Operation.Scroll:
                var scroll = StrictParser.Parse<ScrollItemsRequest>(badCase.Body);
                scroll.Collection = c;
                await Server.Items.ScrollItemsAsync(scroll);
                break;
            case Operation.Search:
                var search = StrictParser.Parse<SearchRequest>(badCase.Body);
                search.Collection = c;
                await Server.Search.SearchAsync(search);
                break;
            case Operation.SearchBatch:
                var batch = StrictParser.Parse<SearchBatchRequest>(badCase.Body);
                batch.Collection = c;
                await Server.Search.SearchBatchAsync(batch);
                break;
            case Operation.DeleteEncoder:
                var parts = badCase.Body.Split("/versions/");
                await Server.Encoders.DeleteEncoderAsync(new DeleteEncoderRequest { Name = parts[0], Version = parts[1] });
                break;
            case Operation.FitMap:
                var fit = StrictParser.Parse<FitMapRequest>(badCase.Body);
                fit.Collection = c;
                await Server.Maps.FitMapAsync(fit);
                break;
            case Operation.SetIndex:
                var setIndex = StrictParser.Parse<SetSpaceIndexRequest>(badCase.Body);
                setIndex.Collection = c;
                setIndex.Space = "v1";
                await Server.Collections.SetSpaceIndexAsync(setIndex);
                break;
            case Operation.PlanMigration:
                var plan = StrictParser.Parse<PlanMigrationRequest>(badCase.Body);
                plan.Collection = c;
                await Server.Migrations.PlanMigrationAsync(plan);
                break;
            case Operation.BackfillVectors:
                var backfill = StrictParser.Parse<BackfillVectorsRequest>(badCase.Body);
                backfill.Collection = c;
                backfill.Id = "nope";
                await Server.Migrations.BackfillVectorsAsync(backfill);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(badCase));
        }
    }

    private async Task SeedAsync()
    {
        await SeedGate.WaitAsync();
        try
        {
            var existing = await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest());
            if (existing.Collections.All(c => c.Name != Seeded))
            {
                await TestCollections.CreateAsync(Server, Seeded, dimension: 4, exactName: true);
                await TestCollections.UpsertAsync(Server, Seeded, "v1", [("seed", [1, 2, 3, 4])], _ => """{"k":"v"}""");
                await Server.Collections.AddSpaceAsync(new AddSpaceRequest
                {
                    Collection = Seeded,
                    Space = new Space { Name = "w", Dimension = 2, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "2" } },
                });
                await Server.Encoders.UploadEncoderAsync(new UploadEncoderRequest
                {
                    Descriptor_ = new EncoderDescriptor
                    {
                        Name = "channel-means",
                        Version = "1",
                        Dimension = TinyImageModel.Dim,
                        Metric = Metric.InnerProduct,
                        InputKind = InputKind.Image,
                        InputName = "pixels",
                        OutputName = "means",
                        Image = new ImageSettings { Width = TinyImageModel.Size, Height = TinyImageModel.Size, ResizeShorterSide = 0 },
                    },
                    Model = ByteString.CopyFrom(TinyImageModel.Model()),
                });
                await Server.Collections.AddSpaceAsync(new AddSpaceRequest
                {
                    Collection = Seeded,
                    Space = new Space
                    {
                        Name = "img",
                        Dimension = TinyImageModel.Dim,
                        Metric = Metric.InnerProduct,
                        Model = new ModelRef { Name = "channel-means", Version = "1" },
                        Encoder = new EncoderRef { Name = "channel-means" },
                    },
                });
                await Server.Collections.AddSpaceAsync(new AddSpaceRequest
                {
                    Collection = Seeded,
                    Space = new Space
                    {
                        Name = "mv", Dimension = 2, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "m", Version = "3" },
                        Kind = SpaceKind.Multi, MultiVector = new MultiVectorConfig { MaxTokens = 3 },
                    },
                });
                var seedRows = new Vector { Rows = { new Vector { Values = { 1, 0 } }, new Vector { Values = { 0, 1 } } } };
                await Server.Items.UpsertItemsAsync(new UpsertItemsRequest { Collection = Seeded, Items = { new Item { Id = "seed", Vectors = { ["mv"] = seedRows } } } });
            }
        }
        finally
        {
            SeedGate.Release();
        }
    }

    /// <summary>Every collection with its spaces and count, and the seeded collection's items with vectors and its maps.</summary>
    private async Task<string> SnapshotAsync()
    {
        var collections = await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest());
        var view = collections.Collections.Select(c => new { c.Name, c.ItemCount, c.DefaultSpace, Spaces = c.Spaces.Select(s => s.ToString()).ToList() });
        var items = await Server.Items.ScrollItemsAsync(new ScrollItemsRequest { Collection = Seeded, WithVectors = true, Limit = 1000 });
        var maps = await Server.Maps.ListMapsAsync(new ListMapsRequest { Collection = Seeded });
        var migrations = await Server.Migrations.ListMigrationsAsync(new ListMigrationsRequest { Collection = Seeded });
        var encoders = await Server.Encoders.ListEncodersAsync(new ListEncodersRequest());
        return JsonSerializer.Serialize(view) + items + maps + migrations + encoders;
    }
}

public sealed class SqliteBadInputTests(SqliteServerFixture fixture) : BadInputTests<SqliteServerFixture>(fixture);

public sealed class PostgresBadInputTests(PostgresServerFixture fixture) : BadInputTests<PostgresServerFixture>(fixture);

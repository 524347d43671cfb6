using Grpc.Core;
using Retrieval.Contracts.V1;

namespace Retrieval.Server.Tests.Infrastructure;

/// <summary>
/// Synthetic model upgrade for migration tests: <c>old = new·R</c> (+ small noise) with a random orthogonal R, so an
/// orthogonal map recovers the old space; the first <see cref="Anchors"/> items start with both vectors, the rest old only.
/// </summary>
internal sealed class MigrationScenario
{
    public const int Dimension = 8;

    private readonly double[,] _rotation;
    private readonly Random _noise;

    public MigrationScenario(int items, int anchors, int seed)
    {
        _rotation = SyntheticSpaces.Orthogonal(Dimension, seed);
        _noise = new Random(seed + 1);
        Anchors = anchors;
        New = Vectors.Random(items, Dimension, seed + 2);
        Old = New.Select(Old0).ToArray();
    }

    public int Anchors { get; }

    public float[][] New { get; }

    public float[][] Old { get; }

    public static string Id(int i) => $"item-{i:D5}";

    /// <summary>The old model's embedding of what the new model embeds as <paramref name="x"/>.</summary>
    public float[] Old0(float[] x) => SyntheticSpaces.Multiply(x, _rotation, 1e-3, _noise);

    /// <summary>
    /// A collection with spaces old (default) and new, filled with every item's old vector and the anchors' new one;
    /// <paramref name="shards"/> 0 takes the server's default.
    /// </summary>
    public async Task<string> CreateAsync(Collections.CollectionsClient collections, Items.ItemsClient items, string prefix, int shards = 0)
    {
        var name = TestNames.Unique(prefix);
        await collections.CreateCollectionAsync(new CreateCollectionRequest
        {
            Name = name,
            Shards = shards,
            DefaultSpace = "old",
            Spaces =
            {
                new Space { Name = "old", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "old-model", Version = "1" } },
                new Space { Name = "new", Dimension = Dimension, Metric = Metric.InnerProduct, Model = new ModelRef { Name = "new-model", Version = "2" } },
            },
        });
        var request = new UpsertItemsRequest { Collection = name };
        for (var i = 0; i < New.Length; i++)
        {
            var item = new Item { Id = Id(i) };
            item.Vectors.Add("old", Vector(Old[i]));
            if (i < Anchors)
            {
                item.Vectors.Add("new", Vector(New[i]));
            }

            request.Items.Add(item);
        }

        await items.UpsertItemsAsync(request);
        return name;
    }

    /// <summary>Plans, fits and activates a migration old → new and starts its backfill; returns its id.</summary>
    public static async Task<Migration> StartAsync(Migrations.MigrationsClient migrations, string collection, string id)
    {
        await migrations.PlanMigrationAsync(new PlanMigrationRequest { Collection = collection, Id = id, ToSpace = "new", Actor = "test" });
        await migrations.FitMigrationAsync(new FitMigrationRequest { Collection = collection, Id = id });
        await migrations.ActivateMigrationAsync(new ActivateMigrationRequest { Collection = collection, Id = id });
        return await migrations.StartBackfillAsync(new StartBackfillRequest { Collection = collection, Id = id });
    }

    /// <summary>Streams the new vectors of items [from, to) in batches, each with its end row as checkpoint.</summary>
    public async Task<int> StreamBackfillAsync(Migrations.MigrationsClient migrations, string collection, string id, int from, int to, int batch, CancellationToken cancellationToken = default)
    {
        using var call = migrations.StreamBackfill(cancellationToken: cancellationToken);
        var acknowledged = from;
        for (var start = from; start < to; start += batch)
        {
            var end = Math.Min(to, start + batch);
            var request = new BackfillVectorsRequest { Collection = collection, Id = id, Checkpoint = end.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            for (var i = start; i < end; i++)
            {
                request.Vectors.Add(new BackfillVector { Id = Id(i), Vector = Vector(New[i]) });
            }

            await call.RequestStream.WriteAsync(request, cancellationToken);
            if (!await call.ResponseStream.MoveNext(cancellationToken))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "the backfill stream ended early"));
            }

            acknowledged = end;
        }

        await call.RequestStream.CompleteAsync();
        return acknowledged;
    }

    public static Vector Vector(float[] values) => new() { Values = { values } };
}

using System.ComponentModel;
using Retrieval.Cli.Infrastructure;
using Retrieval.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Commands;

internal sealed class CreateCollectionCommand : AsyncCommand<CreateCollectionCommand.Settings>
{
    internal sealed class Settings : ServerSettings
    {
        [CommandArgument(0, "<NAME>")]
        [Description("collection name: 1 to 64 of a-z, 0-9, _ and -")]
        public string Name { get; init; } = "";

        [CommandOption("--space <SPEC>")]
        [Description("a space as name:dimension:metric[[:model[[:version]]]] (metric: ip, cosine, l2); repeat for several")]
        public string[] Spaces { get; init; } = [];

        [CommandOption("--index <SPACE=SPEC>")]
        [Description("an index for a space, e.g. v1=HNSW32 or v1=IVF1024,PQ32x8 (HNSW{M}[[,SQ8]][[,efConstruction=N]], IVF{n},Flat|PQ{m}x{bits}|SQ8); repeat per space; default: exact search")]
        public string[] Indexes { get; init; } = [];

        [CommandOption("--default-space <SPACE>")]
        [Description("the space a search without --space uses (default: the first)")]
        public string? DefaultSpace { get; init; }

        [CommandOption("--shards <N>")]
        [Description("shards to spread the items over, 1 to 64 (default 1); fixed at creation. Each shard indexes and is searched in parallel")]
        public int Shards { get; init; } = 1;

        [CommandOption("--replicas <N>")]
        [Description("copies of each shard, each on its own node, 1 to the number of nodes (default 1); cluster mode with Retrieval:Cluster:ShardPlacement=Grains only")]
        public int Replicas { get; init; } = 1;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var client = new RetrievalClient(settings);
        var request = new CreateCollectionRequest { Name = settings.Name, DefaultSpace = settings.DefaultSpace ?? "", Shards = settings.Shards, Replicas = settings.Replicas };
        request.Spaces.Add(settings.Spaces.Select(SpaceSpec.Parse));
        foreach (var index in settings.Indexes)
        {
            var separator = index.IndexOf('=', StringComparison.Ordinal);
            var space = separator > 0 ? request.Spaces.FirstOrDefault(s => s.Name == index[..separator]) : null;
            if (space is null)
            {
                throw new FormatException($"--index '{index}' must look like SPACE=SPEC and name a space given with --space");
            }

            space.Index = index[(separator + 1)..];
        }

        var collection = await client.Collections.CreateCollectionAsync(request, cancellationToken: cancellationToken);
        CollectionView.Render(collection);
        return 0;
    }
}

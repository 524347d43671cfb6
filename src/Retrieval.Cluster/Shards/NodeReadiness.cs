using System.Collections.Concurrent;
using Orleans.Placement;
using Orleans.Runtime.Placement;
using Retrieval.Engine;

namespace Retrieval.Cluster.Shards;

/// <summary>
/// Whether this node's engine has loaded (<see cref="RetrievalEngine.IsReady"/>), asked by other nodes before they
/// place a shard replica here: a silo turns Active while its engine still loads, and a replica activated then fails.
/// Keyed by the silo's parsable address and placed on that silo (<see cref="OnNamedSiloPlacement"/>).
/// </summary>
public interface INodeReadinessGrain : IGrainWithStringKey
{
    /// <summary>True once this node's engine has loaded its collections.</summary>
    Task<bool> IsReadyAsync();
}

[OnNamedSiloPlacement]
internal sealed class NodeReadinessGrain(RetrievalEngine engine) : Grain, INodeReadinessGrain
{
    public Task<bool> IsReadyAsync() => Task.FromResult(engine.IsReady);
}

/// <summary>Places a grain on the silo its string key names (<see cref="SiloAddress.ToParsableString"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class OnNamedSiloPlacement : PlacementStrategy
{
    internal static OnNamedSiloPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="OnNamedSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OnNamedSiloPlacementAttribute : PlacementAttribute
{
    public OnNamedSiloPlacementAttribute()
        : base(OnNamedSiloPlacement.Instance)
    {
    }
}

internal sealed class OnNamedSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silo = SiloAddress.FromParsableString(target.GrainIdentity.Key.ToString()!);
        return context.GetCompatibleSilos(target).Contains(silo)
            ? Task.FromResult(silo)
            : throw new OrleansException($"silo {silo} is not active: its readiness cannot be asked");
    }
}

/// <summary>
/// The nodes whose engines have loaded, as placement sees them. Leaving a loading node out of placement (rather than
/// joining the silo only once the engine has loaded) keeps the node's start order as it is: the silo starts with the
/// host, before the engine's background load and before Kestrel, so delaying its join would hold <c>/healthz</c> back
/// for the whole load. A node's readiness never goes back (a restart is a new silo address), so a ready answer is
/// kept; a loading or silent node is asked again at the next placement.
/// </summary>
internal sealed class ReadySilos(IGrainFactory grains, ClusterModeOptions options)
{
    private readonly ConcurrentDictionary<SiloAddress, bool> _ready = new();

    /// <summary>Those of <paramref name="silos"/> whose engine has loaded; all of them when none answers ready (placement must pick one, and the activation then says why it failed).</summary>
    public async Task<IReadOnlyList<SiloAddress>> FilterAsync(IReadOnlyList<SiloAddress> silos)
    {
        var unknown = silos.Where(silo => !_ready.ContainsKey(silo)).ToList();
        if (unknown.Count > 0)
        {
            var answers = await Task.WhenAll(unknown.Select(AskAsync));
            for (var i = 0; i < unknown.Count; i++)
            {
                if (answers[i])
                {
                    _ready[unknown[i]] = true;
                }
            }
        }

        var ready = silos.Where(_ready.ContainsKey).ToList();
        return ready.Count > 0 ? ready : silos;
    }

    /// <summary>Whether <paramref name="silo"/> is known ready, without asking it (the rebalance timer's view).</summary>
    public bool IsKnownReady(SiloAddress silo) => _ready.ContainsKey(silo);

    private async Task<bool> AskAsync(SiloAddress silo)
    {
        try
        {
            return await grains.GetGrain<INodeReadinessGrain>(silo.ToParsableString()).IsReadyAsync()
                .WaitAsync(TimeSpan.FromMilliseconds(options.ReplicaCallTimeoutMilliseconds));
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // Not ready as far as placement can tell: asked again at the next placement.
            return false;
        }
    }
}

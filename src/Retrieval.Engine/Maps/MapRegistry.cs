using Retrieval.Core.Maps;

namespace Retrieval.Engine.Maps;

/// <summary>
/// The maps of one collection and the routes through its active ones. Thread-safe: a short lock guards the maps and the
/// route cache; <see cref="Gate"/> serializes state changes end to end (store commit, then memory) so both agree.
/// </summary>
internal sealed class MapRegistry : IDisposable
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, RegisteredMap> _maps = new(StringComparer.Ordinal);

    // Composed routes by path (map ids joined); cleared whenever an activation or retirement changes the graph.
    private readonly Dictionary<string, MapRoute> _routes = new(StringComparer.Ordinal);

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public void Add(RegisteredMap map)
    {
        lock (_sync)
        {
            _maps[map.Info.Id] = map;
            _routes.Clear();
        }
    }

    /// <summary>Replaces every map with <paramref name="maps"/> (the store's, read again by a cluster node).</summary>
    public void ReplaceAll(IEnumerable<RegisteredMap> maps)
    {
        lock (_sync)
        {
            _maps.Clear();
            foreach (var map in maps)
            {
                _maps[map.Info.Id] = map;
            }

            _routes.Clear();
        }
    }

    public RegisteredMap? Find(string id)
    {
        lock (_sync)
        {
            return _maps.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<MapInfo> List()
    {
        lock (_sync)
        {
            return _maps.Values.Select(m => m.Info).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Applies a committed state change; activation retires the pair's previous active map, as the store did.</summary>
    public MapInfo SetState(string id, MapState state, DateTimeOffset at)
    {
        lock (_sync)
        {
            var map = _maps[id];
            if (state == MapState.Active)
            {
                foreach (var other in _maps.Values.Where(m => m.Info.Id != id && m.Info.State == MapState.Active
                    && m.Info.FromSpace == map.Info.FromSpace && m.Info.ToSpace == map.Info.ToSpace).ToList())
                {
                    _maps[other.Info.Id] = other with { Info = other.Info with { State = MapState.Retired, UpdatedAt = at } };
                }
            }

            var updated = map with { Info = map.Info with { State = state, UpdatedAt = at } };
            _maps[id] = updated;
            _routes.Clear();
            return updated.Info;
        }
    }

    /// <summary>Applies a committed report change (a migration's evaluation decided the map's gate).</summary>
    public MapInfo SetReport(string id, MapReport report, DateTimeOffset at)
    {
        lock (_sync)
        {
            var map = _maps[id];
            var updated = map with { Info = map.Info with { Report = report, UpdatedAt = at } };
            _maps[id] = updated;
            return updated.Info;
        }
    }

    /// <summary>
    /// The shortest path of active maps from <paramref name="from"/> to the nearest space accepted by <paramref name="isTarget"/>
    /// (breadth-first; ties broken by map id so the choice is stable), composed and cached; null when none.
    /// </summary>
    public MapRoute? FindRoute(string from, Func<string, bool> isTarget)
    {
        lock (_sync)
        {
            var path = ShortestPath(from, isTarget);
            if (path is null)
            {
                return null;
            }

            var key = string.Join('\n', path.Select(m => m.Info.Id));
            if (!_routes.TryGetValue(key, out var route))
            {
                route = MapRoute.Compose(path);
                _routes[key] = route;
            }

            return route;
        }
    }

    public void Dispose() => Gate.Dispose();

    private List<RegisteredMap>? ShortestPath(string from, Func<string, bool> isTarget)
    {
        var edges = _maps.Values
            .Where(m => m.Info.State == MapState.Active)

            // An active two-sided query map wins over a one-sided map at the same distance: it is activated only once its
            // joint space holds every item (the re-projection's cut-over), and it was fitted to beat the one-sided route.
            .OrderBy(m => m.Info.Kind == MapKind.TwoSided ? 0 : 1)
            .ThenBy(m => m.Info.Id, StringComparer.Ordinal)
            .ToLookup(m => m.Info.FromSpace, StringComparer.Ordinal);
        var via = new Dictionary<string, RegisteredMap?>(StringComparer.Ordinal) { [from] = null };
        var queue = new Queue<string>([from]);
        while (queue.Count > 0)
        {
            var space = queue.Dequeue();
            if (space != from && isTarget(space))
            {
                var path = new List<RegisteredMap>();
                for (var at = space; via[at] is { } step; at = step.Info.FromSpace)
                {
                    path.Add(step);
                }

                path.Reverse();
                return path;
            }

            foreach (var edge in edges[space])
            {
                if (via.TryAdd(edge.Info.ToSpace, edge))
                {
                    queue.Enqueue(edge.Info.ToSpace);
                }
            }
        }

        return null;
    }
}

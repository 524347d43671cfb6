using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;

namespace Retrieval.Engine.Search;

/// <summary>
/// Grouped search (Qdrant's search groups): hits are grouped by a payload value, each group keeps its best
/// <see cref="SearchQuery.GroupSize"/> hits, and the first k groups by their best hit are answered. Groups fill from
/// hits in score order, so the search reads deeper (doubling the depth, up to
/// <see cref="EngineOptions.MaxGroupSearchDepth"/>) until the first k groups are full or the hits run out.
/// </summary>
internal sealed class ResultGrouper
{
    private readonly EngineOptions _options;

    public ResultGrouper(EngineOptions options) => _options = options;

    /// <summary>Checks the grouping fields of a query; <paramref name="field"/> is where it sits in its request.</summary>
    public void Validate(SearchQuery query, FieldPath field)
    {
        if (string.IsNullOrEmpty(query.GroupBy))
        {
            if (query.GroupSize != 0)
            {
                throw RetrievalException.Invalid(field.Member("groupSize"), "applies to grouped searches only: set groupBy");
            }

            return;
        }

        if (query.GroupBy.Split('.').Any(string.IsNullOrEmpty))
        {
            throw RetrievalException.Invalid(field.Member("groupBy"), $"'{query.GroupBy}' has an empty path segment");
        }

        if (query.Offset != 0)
        {
            throw RetrievalException.Invalid(field.Member("offset"), "paging by offset is not supported with groupBy");
        }

        if (query.GroupSize < 0 || (long)GroupSize(query) * query.K > _options.MaxK)
        {
            throw RetrievalException.Invalid(field.Member("groupSize"), $"must be ≥ 0 (0 means 1) with k × groupSize ≤ {_options.MaxK}");
        }
    }

    /// <summary>The depth a grouped query starts reading at: a few hits per wanted group member.</summary>
    public int InitialDepth(SearchQuery query) =>
        (int)Math.Min(_options.MaxGroupSearchDepth, Math.Max(64L, 4L * GroupSize(query) * query.K));

    /// <summary>
    /// Groups <paramref name="merged"/> (the hits of <paramref name="plan"/>, best first), or, while groups are missing
    /// and more hits may exist, returns null with the plan that reads deeper in <paramref name="deeper"/>: the caller
    /// runs it (on its own shards or through their replicas) and calls again with its hits.
    /// </summary>
    public IReadOnlyList<SearchGroup>? TryGroup<THit>(PlannedQuery plan, List<THit> merged, Func<THit, SearchHit> render, out PlannedQuery deeper)
        where THit : IGroupedHit
    {
        var query = plan.Query;
        var (groups, complete) = Collect(merged, query.GroupBy!.Split('.'), query, GroupSize(query));
        var exhausted = merged.Count < plan.Depth || plan.Depth >= _options.MaxGroupSearchDepth;
        deeper = plan with { Depth = (int)Math.Min(_options.MaxGroupSearchDepth, 2L * plan.Depth) };
        return complete || exhausted
            ? [.. groups.Take(query.K).Select(g => new SearchGroup(g.Key, [.. g.Hits.Select(render)]))]
            : null;
    }

    private static int GroupSize(SearchQuery query) => Math.Max(1, query.GroupSize);

    /// <summary>Groups in order of their best hit; complete when the first k groups hold <paramref name="size"/> hits each.</summary>
    private static (List<(ScalarValue Key, List<THit> Hits)> Groups, bool Complete) Collect<THit>(
        List<THit> merged, string[] path, SearchQuery query, int size)
        where THit : IGroupedHit
    {
        var groups = new List<(ScalarValue Key, List<THit> Hits)>();
        var byKey = new Dictionary<ScalarValue, List<THit>>();
        var keys = new HashSet<ScalarValue>();
        foreach (var hit in merged)
        {
            if (query.ScoreThreshold is { } threshold && hit.Score < threshold)
            {
                break;
            }

            if (hit.Id == query.ItemId)
            {
                continue;
            }

            keys.Clear();
            GroupKeys(hit.Payload, path, keys);
            foreach (var key in keys)
            {
                if (!byKey.TryGetValue(key, out var members))
                {
                    members = [];
                    byKey.Add(key, members);
                    groups.Add((key, members));
                }

                if (members.Count < size)
                {
                    members.Add(hit);
                }
            }
        }

        var complete = groups.Count >= query.K && groups.Take(query.K).All(g => g.Hits.Count == size);
        return (groups, complete);
    }

    /// <summary>The group keys of a payload: the scalar at the path, or each scalar element of an array there.</summary>
    private static void GroupKeys(JsonElement payload, string[] path, HashSet<ScalarValue> keys)
    {
        var field = payload;
        foreach (var segment in path)
        {
            if (field.ValueKind != JsonValueKind.Object || !field.TryGetProperty(segment, out field))
            {
                return;
            }
        }

        if (field.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in field.EnumerateArray())
            {
                AddScalar(element, keys);
            }
        }
        else
        {
            AddScalar(field, keys);
        }
    }

    private static void AddScalar(JsonElement value, HashSet<ScalarValue> keys)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                keys.Add(ScalarValue.Of(value.GetString()!));
                break;
            case JsonValueKind.Number:
                keys.Add(ScalarValue.Of(value.GetDouble()));
                break;
            case JsonValueKind.True or JsonValueKind.False:
                keys.Add(ScalarValue.Of(value.GetBoolean()));
                break;
        }
    }
}

/// <summary>What grouping reads of a hit: its item's id, its score and its item's payload.</summary>
internal interface IGroupedHit
{
    string Id { get; }

    float Score { get; }

    JsonElement Payload { get; }
}

using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine;
using Retrieval.Engine.Encoders;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over search.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForSearch), nameof(GuardedServiceBinding.ForSearch.BindService))]
internal sealed class SearchService(RetrievalEngine engine) : Contracts.V1.Search.SearchBase
{
    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        // A query sent as a vector (the common case) needs no encoder: it runs on this thread without an async state
        // machine or a task for the vector. Searches that carry raw input await the encoder.
        if (request.Input is not null)
        {
            return SearchEncodedAsync(request, context);
        }

        var query = ToQuery(request, FieldPath.Root, new EncodedQuery(VectorMapping.ToArray(request.Vector), null));
        if (engine.RoutesShards)
        {
            return SearchRoutedAsync(request, query, context);
        }

        var pending = engine.SearchCoalesced(request.Collection, query);
        return pending.IsCompletedSuccessfully
            ? Task.FromResult(ToResponse(pending.Result, SpacesFor(request.Collection, request.WithVectors)))
            : RespondAsync(request, pending);
    }

    public override async Task<SearchBatchResponse> SearchBatch(SearchBatchRequest request, ServerCallContext context)
    {
        // Raw inputs of the batch are encoded concurrently, so they share the encoder's micro-batches.
        var searches = request.Searches;
        var encoding = new Task<EncodedQuery>[searches.Count];
        var withVectors = false;
        for (var i = 0; i < searches.Count; i++)
        {
            encoding[i] = QueryVectorAsync(request.Collection, searches[i], FieldPath.Of("searches").Index(i), context.CancellationToken);
            withVectors |= searches[i].WithVectors;
        }

        var vectors = await Task.WhenAll(encoding);
        var queries = new SearchQuery[searches.Count];
        for (var i = 0; i < queries.Length; i++)
        {
            queries[i] = ToQuery(searches[i], FieldPath.Of("searches").Index(i), vectors[i]);
        }

        using var shardWait = ShardWait(context);
        var results = await engine.SearchBatchWithRoutesAsync(request.Collection, queries, shardWait?.Token ?? context.CancellationToken);
        var spaces = SpacesFor(request.Collection, withVectors);
        var response = new SearchBatchResponse();
        response.Results.Capacity = results.Count;
        foreach (var result in results)
        {
            response.Results.Add(ToResponse(result, spaces));
        }

        return response;
    }

    private async Task<SearchResponse> SearchEncodedAsync(SearchRequest request, ServerCallContext context)
    {
        var query = ToQuery(request, FieldPath.Root, await QueryVectorAsync(request.Collection, request, FieldPath.Root, context.CancellationToken));
        return engine.RoutesShards
            ? await SearchRoutedAsync(request, query, context)
            : ToResponse(await engine.SearchCoalesced(request.Collection, query), SpacesFor(request.Collection, request.WithVectors));
    }

    private async Task<SearchResponse> SearchRoutedAsync(SearchRequest request, SearchQuery query, ServerCallContext context)
    {
        using var shardWait = ShardWait(context);
        var result = await engine.SearchCoalesced(request.Collection, query, shardWait?.Token ?? context.CancellationToken);
        return ToResponse(result, SpacesFor(request.Collection, request.WithVectors));
    }

    /// <summary>
    /// With shard replicas on other nodes and a client deadline: the call's token, also cancelled a margin before the
    /// client's deadline, when the fan-out stops waiting for shards, so that the client gets the other shards' hits
    /// (allowPartial) or UNAVAILABLE naming the missing ones rather than DEADLINE_EXCEEDED. Null without a deadline.
    /// </summary>
    private CancellationTokenSource? ShardWait(ServerCallContext context)
    {
        if (!engine.RoutesShards || context.Deadline == DateTime.MaxValue)
        {
            return null;
        }

        var left = context.Deadline - DateTime.UtcNow;
        // Room to merge, answer (an error answer takes longer: it is logged) and cross the network: a quarter of what
        // is left, at most 250 ms.
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(250).Ticks, left.Ticks / 4));
        var wait = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        wait.CancelAfter(left - margin > TimeSpan.Zero ? left - margin : TimeSpan.Zero);
        return wait;
    }

    private async Task<SearchResponse> RespondAsync(SearchRequest request, ValueTask<SearchResult> pending) =>
        ToResponse(await pending, SpacesFor(request.Collection, request.WithVectors));

    /// <summary>
    /// The query vector (or token rows): the one sent, or the raw input encoded by the space's encoder; rows sent as
    /// <c>vector.rows</c> are read in <see cref="ToQuery"/>.
    /// </summary>
    private async Task<EncodedQuery> QueryVectorAsync(string collection, SearchRequest request, FieldPath query, CancellationToken cancellationToken)
    {
        if (request.Input is null)
        {
            return new EncodedQuery(VectorMapping.ToArray(request.Vector), null);
        }

        if (request.ItemId.Length > 0)
        {
            throw RetrievalException.Invalid(query.Member("itemId"), "send either input or itemId, not both");
        }

        if (request.Vector is { Values.Count: > 0 } or { Rows.Count: > 0 })
        {
            throw RetrievalException.Invalid(query.Member("input"), "send either vector or input, not both");
        }

        return await engine.EncodeQueryAsync(collection, request.Space, InputMapping.ToRawInput(request.Input, query.Member("input")), query, cancellationToken);
    }

    private static SearchQuery ToQuery(SearchRequest request, FieldPath query, EncodedQuery encoded) => new(
        request.Space,
        encoded.Vector,
        request.K,
        request.Filter is null ? null : FilterMapping.ToFilter(request.Filter, query.Member("filter")),
        request.WithPayload,
        request.WithVectors,
        request.HasScoreThreshold ? request.ScoreThreshold : null,
        request.Offset,
        request.TargetSpace,
        request.EfSearch,
        request.Nprobe,
        request.Exact)
    {
        // Field paths are built only where they may be named: the common query has no filter and no rows.
        Rows = encoded.Rows ?? (request.Vector is { Rows.Count: > 0 } ? VectorMapping.ToRows(request.Vector, query.Member("vector")) : null),
        Candidates = request.Candidates,
        ItemId = request.ItemId,
        GroupBy = request.GroupBy,
        GroupSize = request.GroupSize,
        AllowPartial = request.AllowPartial,
    };

    /// <summary>The collection's spaces when vectors are returned (multi-vectors are written back as rows).</summary>
    private IReadOnlyList<Core.Model.SpaceDefinition>? SpacesFor(string collection, bool withVectors) =>
        withVectors ? engine.GetCollection(collection).Definition.Spaces : null;

    private static SearchResponse ToResponse(SearchResult result, IReadOnlyList<Core.Model.SpaceDefinition>? spaces)
    {
        var response = new SearchResponse();
        if (result.MapsUsed.Count > 0)
        {
            response.MapsUsed.Add(result.MapsUsed);
        }

        AddHits(response.Hits, result.Hits, spaces);
        if (result.MissingShards.Count > 0)
        {
            response.MissingShards.Add(result.MissingShards);
        }

        if (result.Groups is { } groups)
        {
            foreach (var group in groups)
            {
                var proto = new HitGroup { Key = ToValue(group.Key) };
                AddHits(proto.Hits, group.Hits, spaces);
                response.Groups.Add(proto);
            }
        }

        return response;
    }

    // Sized once: no LINQ enumerator, and the repeated field does not grow by doubling.
    private static void AddHits(Google.Protobuf.Collections.RepeatedField<Hit> target, IReadOnlyList<SearchHit> hits, IReadOnlyList<Core.Model.SpaceDefinition>? spaces)
    {
        target.Capacity = hits.Count;
        for (var i = 0; i < hits.Count; i++)
        {
            target.Add(ToHit(hits[i], spaces));
        }
    }

    private static Hit ToHit(SearchHit hit, IReadOnlyList<Core.Model.SpaceDefinition>? spaces)
    {
        var proto = new Hit { Id = hit.Id, Score = hit.Score, Path = hit.Path ?? "" };
        if (hit.PayloadJson is not null)
        {
            proto.Payload = PayloadMapping.ToStruct(hit.PayloadJson);
        }

        VectorMapping.CopyTo(hit.Vectors, proto.Vectors, spaces);
        return proto;
    }

    private static Google.Protobuf.WellKnownTypes.Value ToValue(Core.Filtering.ScalarValue key) => key.Kind switch
    {
        Core.Filtering.ScalarKind.Text => Google.Protobuf.WellKnownTypes.Value.ForString(key.Text!),
        Core.Filtering.ScalarKind.Number => Google.Protobuf.WellKnownTypes.Value.ForNumber(key.Number),
        _ => Google.Protobuf.WellKnownTypes.Value.ForBool(key.Boolean),
    };
}

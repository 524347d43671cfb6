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
    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        var result = engine.SearchWithRoute(request.Collection, ToQuery(request, FieldPath.Root, await QueryVectorAsync(request.Collection, request, FieldPath.Root, context.CancellationToken)));
        return ToResponse(result, SpacesFor(request.Collection, request.WithVectors));
    }

    public override async Task<SearchBatchResponse> SearchBatch(SearchBatchRequest request, ServerCallContext context)
    {
        // Raw inputs of the batch are encoded concurrently, so they share the encoder's micro-batches.
        var vectors = await Task.WhenAll(request.Searches.Select((s, i) => QueryVectorAsync(request.Collection, s, FieldPath.Of("searches").Index(i), context.CancellationToken)));
        var queries = request.Searches.Select((s, i) => ToQuery(s, FieldPath.Of("searches").Index(i), vectors[i])).ToList();
        var results = engine.SearchBatchWithRoutes(request.Collection, queries);
        var spaces = SpacesFor(request.Collection, request.Searches.Any(s => s.WithVectors));
        var response = new SearchBatchResponse();
        response.Results.Add(results.Select(r => ToResponse(r, spaces)));
        return response;
    }

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
        FilterMapping.ToFilter(request.Filter, query.Member("filter")),
        request.WithPayload,
        request.WithVectors,
        request.HasScoreThreshold ? request.ScoreThreshold : null,
        request.Offset,
        request.TargetSpace,
        request.EfSearch,
        request.Nprobe,
        request.Exact)
    {
        Rows = encoded.Rows ?? VectorMapping.ToRows(request.Vector, query.Member("vector")),
        Candidates = request.Candidates,
        ItemId = request.ItemId,
        GroupBy = request.GroupBy,
        GroupSize = request.GroupSize,
    };

    /// <summary>The collection's spaces when vectors are returned (multi-vectors are written back as rows).</summary>
    private IReadOnlyList<Core.Model.SpaceDefinition>? SpacesFor(string collection, bool withVectors) =>
        withVectors ? engine.GetCollection(collection).Definition.Spaces : null;

    private static SearchResponse ToResponse(SearchResult result, IReadOnlyList<Core.Model.SpaceDefinition>? spaces)
    {
        var response = new SearchResponse();
        response.MapsUsed.Add(result.MapsUsed);
        response.Hits.Add(result.Hits.Select(hit => ToHit(hit, spaces)));
        foreach (var group in result.Groups ?? [])
        {
            var proto = new HitGroup { Key = ToValue(group.Key) };
            proto.Hits.Add(group.Hits.Select(hit => ToHit(hit, spaces)));
            response.Groups.Add(proto);
        }

        return response;
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

using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over search.</summary>
internal sealed class SearchService(RetrievalEngine engine) : Contracts.V1.Search.SearchBase
{
    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context) =>
        Task.FromResult(ToResponse(engine.SearchWithRoute(request.Collection, ToQuery(request, ""))));

    public override Task<SearchBatchResponse> SearchBatch(SearchBatchRequest request, ServerCallContext context)
    {
        var queries = request.Searches.Select((s, i) => ToQuery(s, $"searches[{i}].")).ToList();
        var response = new SearchBatchResponse();
        response.Results.Add(engine.SearchBatchWithRoutes(request.Collection, queries).Select(ToResponse));
        return Task.FromResult(response);
    }

    private static SearchQuery ToQuery(SearchRequest request, string prefix) => new(
        request.Space,
        VectorMapping.ToArray(request.Vector),
        request.K,
        FilterMapping.ToFilter(request.Filter, $"{prefix}filter"),
        request.WithPayload,
        request.WithVectors,
        request.HasScoreThreshold ? request.ScoreThreshold : null,
        request.Offset,
        request.TargetSpace,
        request.EfSearch,
        request.Nprobe,
        request.Exact);

    private static SearchResponse ToResponse(SearchResult result)
    {
        var response = new SearchResponse();
        response.MapsUsed.Add(result.MapsUsed);
        foreach (var hit in result.Hits)
        {
            var proto = new Hit { Id = hit.Id, Score = hit.Score };
            if (hit.PayloadJson is not null)
            {
                proto.Payload = PayloadMapping.ToStruct(hit.PayloadJson);
            }

            VectorMapping.CopyTo(hit.Vectors, proto.Vectors);
            response.Hits.Add(proto);
        }

        return response;
    }
}

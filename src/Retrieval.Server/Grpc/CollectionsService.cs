using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the engine's collection catalog.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForCollections), nameof(GuardedServiceBinding.ForCollections.BindService))]
internal sealed class CollectionsService(RetrievalEngine engine) : Collections.CollectionsBase
{
    public override async Task<Collection> CreateCollection(CreateCollectionRequest request, ServerCallContext context)
    {
        var spaces = request.Spaces.Select((s, i) => CollectionMapping.ToDefinition(s, FieldPath.Of("spaces").Index(i))).ToList();
        var info = await engine.CreateCollectionAsync(request.Name, spaces, request.DefaultSpace, request.StoreInputs, request.Shards, request.Replicas, context.CancellationToken);
        return CollectionMapping.ToProto(info);
    }

    public override Task<ListCollectionsResponse> ListCollections(ListCollectionsRequest request, ServerCallContext context)
    {
        var response = new ListCollectionsResponse();
        response.Collections.Add(engine.ListCollections().Select(CollectionMapping.ToProto));
        return Task.FromResult(response);
    }

    public override Task<Collection> GetCollection(GetCollectionRequest request, ServerCallContext context) =>
        Task.FromResult(CollectionMapping.ToProto(engine.GetCollection(request.Name)));

    public override async Task<DeleteCollectionResponse> DeleteCollection(DeleteCollectionRequest request, ServerCallContext context)
    {
        await engine.DeleteCollectionAsync(request.Name, context.CancellationToken);
        return new DeleteCollectionResponse();
    }

    public override async Task<Collection> AddSpace(AddSpaceRequest request, ServerCallContext context)
    {
        var space = CollectionMapping.ToDefinition(request.Space, FieldPath.Of("space"));
        return CollectionMapping.ToProto(await engine.AddSpaceAsync(request.Collection, space, context.CancellationToken));
    }

    public override async Task<Collection> DeleteSpace(DeleteSpaceRequest request, ServerCallContext context) =>
        CollectionMapping.ToProto(await engine.DeleteSpaceAsync(request.Collection, request.Space, context.CancellationToken));

    public override async Task<Collection> SetDefaultSpace(SetDefaultSpaceRequest request, ServerCallContext context) =>
        CollectionMapping.ToProto(await engine.SetDefaultSpaceAsync(request.Collection, request.Space, context.CancellationToken));

    public override async Task<Collection> SetSpaceIndex(SetSpaceIndexRequest request, ServerCallContext context) =>
        CollectionMapping.ToProto(await engine.SetSpaceIndexAsync(request.Collection, request.Space, request.Index, context.CancellationToken));

    public override Task<Contracts.V1.SpaceIndexStatus> GetSpaceIndexStatus(GetSpaceIndexStatusRequest request, ServerCallContext context) =>
        Task.FromResult(IndexStatusMapping.ToProto(engine.GetSpaceIndexStatus(request.Collection, request.Space)));

    public override async Task<UpdateAliasesResponse> UpdateAliases(UpdateAliasesRequest request, ServerCallContext context)
    {
        await engine.ApplyAliasActionsAsync(AliasMapping.ToActions(request.Actions), context.CancellationToken);
        var response = new UpdateAliasesResponse();
        response.Aliases.Add(engine.ListAliases().Select(AliasMapping.ToProto));
        return response;
    }

    public override Task<ListAliasesResponse> ListAliases(ListAliasesRequest request, ServerCallContext context)
    {
        var response = new ListAliasesResponse();
        response.Aliases.Add(engine.ListAliases().Select(AliasMapping.ToProto));
        return Task.FromResult(response);
    }
}

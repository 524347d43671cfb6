using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the engine's compatibility-map registry.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForMaps), nameof(GuardedServiceBinding.ForMaps.BindService))]
internal sealed class MapsService(RetrievalEngine engine) : Maps.MapsBase
{
    public override async Task<FitMapResponse> FitMap(FitMapRequest request, ServerCallContext context)
    {
        var info = await engine.FitMapAsync(request.Collection, MapMapping.ToFitRequest(request), context.CancellationToken);
        return new FitMapResponse { Map = MapMapping.ToProto(info) };
    }

    public override Task<ListMapsResponse> ListMaps(ListMapsRequest request, ServerCallContext context)
    {
        var response = new ListMapsResponse();
        response.Maps.Add(engine.ListMaps(request.Collection).Select(MapMapping.ToProto));
        return Task.FromResult(response);
    }

    public override Task<CompatibilityMap> GetMap(GetMapRequest request, ServerCallContext context) =>
        Task.FromResult(MapMapping.ToProto(engine.GetMap(request.Collection, request.Id)));

    public override async Task<CompatibilityMap> ActivateMap(ActivateMapRequest request, ServerCallContext context) =>
        MapMapping.ToProto(await engine.ActivateMapAsync(request.Collection, request.Id, request.Force, context.CancellationToken));

    public override async Task<CompatibilityMap> RetireMap(RetireMapRequest request, ServerCallContext context) =>
        MapMapping.ToProto(await engine.RetireMapAsync(request.Collection, request.Id, context.CancellationToken));
}

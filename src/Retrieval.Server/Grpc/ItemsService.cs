using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over item writes and reads.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForItems), nameof(GuardedServiceBinding.ForItems.BindService))]
internal sealed class ItemsService(RetrievalEngine engine) : Items.ItemsBase
{
    public override async Task<UpsertItemsResponse> UpsertItems(UpsertItemsRequest request, ServerCallContext context)
    {
        var result = await engine.UpsertAsync(request.Collection, ItemMapping.ToWrites(request.Items), context.CancellationToken);
        return new UpsertItemsResponse { Upserted = result.Count, Sequence = result.Sequence };
    }

    /// <summary>Each request message is one atomic batch, answered after its commit; the first bad batch ends the call.</summary>
    public override async Task StreamUpsertItems(
        IAsyncStreamReader<UpsertItemsRequest> requestStream,
        IServerStreamWriter<UpsertItemsResponse> responseStream,
        ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(await UpsertItems(request, context), context.CancellationToken);
        }
    }

    public override async Task<DeleteItemsResponse> DeleteItems(DeleteItemsRequest request, ServerCallContext context)
    {
        var filter = FilterMapping.ToFilter(request.Filter, FieldPath.Of("filter"));
        if ((request.Ids.Count > 0) == (filter is not null))
        {
            throw RetrievalException.Invalid(FieldPath.Of("ids"), "exactly one of ids or filter is required");
        }

        var result = filter is null
            ? await engine.DeleteAsync(request.Collection, request.Ids, context.CancellationToken)
            : await engine.DeleteAsync(request.Collection, filter, context.CancellationToken);
        return new DeleteItemsResponse { Deleted = result.Count, Sequence = result.Sequence };
    }

    public override async Task<GetItemsResponse> GetItems(GetItemsRequest request, ServerCallContext context)
    {
        var response = new GetItemsResponse();
        var items = engine.GetItems(request.Collection, request.Ids, request.WithVectors);
        var spaces = SpacesFor(request.Collection, request.WithVectors);
        var inputs = await InputsForAsync(request.Collection, request.WithInputs, items, context.CancellationToken);
        response.Items.Add(items.Select(item => WithInputs(ItemMapping.ToProto(item, spaces), inputs)));
        return response;
    }

    public override async Task<ScrollItemsResponse> ScrollItems(ScrollItemsRequest request, ServerCallContext context)
    {
        var page = engine.Scroll(request.Collection, FilterMapping.ToFilter(request.Filter, FieldPath.Of("filter")), request.Limit, request.Cursor, request.WithVectors);
        var response = new ScrollItemsResponse { NextCursor = page.NextCursor ?? "" };
        var spaces = SpacesFor(request.Collection, request.WithVectors);
        var inputs = await InputsForAsync(request.Collection, request.WithInputs, page.Items, context.CancellationToken);
        response.Items.Add(page.Items.Select(item => WithInputs(ItemMapping.ToProto(item, spaces), inputs)));
        return response;
    }

    /// <summary>The stored raw inputs of the items read, when the request asks for them (read from the store of record).</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, RawInput>>?> InputsForAsync(
        string collection, bool withInputs, IReadOnlyList<ItemView> items, CancellationToken cancellationToken) =>
        withInputs ? await engine.ReadItemInputsAsync(collection, items.Select(i => i.Id).ToList(), cancellationToken) : null;

    private static Item WithInputs(Item item, IReadOnlyDictionary<string, IReadOnlyDictionary<string, RawInput>>? inputs)
    {
        if (inputs is not null && inputs.TryGetValue(item.Id, out var bySpace))
        {
            foreach (var (space, input) in bySpace)
            {
                item.Inputs[space] = InputMapping.ToProto(input);
            }
        }

        return item;
    }

    /// <summary>The collection's spaces when vectors are returned (multi-vectors are written back as rows).</summary>
    private IReadOnlyList<Core.Model.SpaceDefinition>? SpacesFor(string collection, bool withVectors) =>
        withVectors ? engine.GetCollection(collection).Definition.Spaces : null;

    public override Task<CountItemsResponse> CountItems(CountItemsRequest request, ServerCallContext context) =>
        Task.FromResult(new CountItemsResponse { Count = engine.Count(request.Collection, FilterMapping.ToFilter(request.Filter, FieldPath.Of("filter"))) });
}

using System.Threading.Channels;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;
using Retrieval.Engine;
using Retrieval.Engine.Writes;
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

    /// <summary>
    /// Each request message is one atomic batch, answered after its commit, in order; the first bad batch ends the call,
    /// and no batch after it is written. Up to <see cref="StreamWindow"/> batches are taken into the engine before the
    /// first of them is answered, so that a stream's batches can share a commit (group commit).
    /// </summary>
    public override async Task StreamUpsertItems(
        IAsyncStreamReader<UpsertItemsRequest> requestStream,
        IServerStreamWriter<UpsertItemsResponse> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var chain = new WriteChain();
        var pending = Channel.CreateBounded<Task<WriteResult>>(StreamWindow);
        // A failed batch ends the answers, and with them the reading: the client may be waiting for answers, not sending.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var answering = AnswerInOrderAsync(pending.Reader, responseStream, reading, cancellationToken);
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(reading.Token))
            {
                var upsert = Submit(request, chain, cancellationToken);
                await pending.Writer.WriteAsync(upsert, reading.Token);
                if (upsert.IsFaulted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The answers ended with a failed batch: awaited below, it is the call's error.
        }
        finally
        {
            pending.Writer.TryComplete();
        }

        await answering;
    }

    /// <summary>The most batches of one stream in the engine before the first of them is answered.</summary>
    private const int StreamWindow = 16;

    private Task<WriteResult> Submit(UpsertItemsRequest request, WriteChain chain, CancellationToken cancellationToken)
    {
        try
        {
            return engine.UpsertAsync(request.Collection, ItemMapping.ToWrites(request.Items), chain, cancellationToken);
        }
        catch (Exception e)
        {
            // A request that cannot be read ends the stream after the batches before it are answered.
            return Task.FromException<WriteResult>(e);
        }
    }

    private static async Task AnswerInOrderAsync(
        ChannelReader<Task<WriteResult>> pending,
        IServerStreamWriter<UpsertItemsResponse> responseStream,
        CancellationTokenSource reading,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var upsert in pending.ReadAllAsync(cancellationToken))
            {
                var result = await upsert;
                await responseStream.WriteAsync(new UpsertItemsResponse { Upserted = result.Count, Sequence = result.Sequence }, cancellationToken);
            }
        }
        catch (Exception) when (Stop(reading))
        {
            throw;
        }
    }

    private static bool Stop(CancellationTokenSource reading)
    {
        reading.Cancel();
        return false;
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

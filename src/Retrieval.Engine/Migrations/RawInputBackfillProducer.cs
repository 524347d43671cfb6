using Microsoft.Extensions.Logging;
using Retrieval.Core.Encoders;
using Retrieval.Core.Errors;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Source (b) of a backfill: re-encodes the raw input each item's old vector was encoded from (stored in the old space,
/// for collections created with <c>storeInputs</c>) with the new space's encoder. All inputs of a batch go to the
/// encoder in one call, so they share its micro-batches. An item without a stored input gets nothing (it is left for the
/// client); an input the new encoder refuses is logged and left for the client the same way, so one bad input never
/// stalls the walk.
/// </summary>
public sealed class RawInputBackfillProducer(IRawInputStore store, ISpaceEncoders encoders, ILogger logger) : IBackfillVectorProducer
{
    public string? WhyNot(BackfillJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.ToSpace.Encoder is not { } encoder)
        {
            return $"space '{job.ToSpace.Name}' names no encoder; add the new space with \"encoder\":{{\"name\":\"{job.Encoder}\"}}";
        }

        if (encoder.Name != job.Encoder)
        {
            return $"space '{job.ToSpace.Name}' is bound to encoder '{encoder.Name}' (version {encoder.Version}), not '{job.Encoder}'";
        }

        if (job.ToSpace.IsMulti)
        {
            return $"space '{job.ToSpace.Name}' is multi-vector; migrations join dense spaces";
        }

        return job.Collection.StoreInputs
            ? null
            : $"collection '{job.Collection.Name}' was created without storeInputs, so it keeps no raw inputs to re-encode";
    }

    public async Task<IReadOnlyList<ProducedVector?>> ProduceAsync(BackfillJob job, IReadOnlyList<BackfillSourceItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(items);
        var encoder = job.ToSpace.Encoder ?? throw new InvalidOperationException(WhyNot(job));
        var results = new ProducedVector?[items.Count];
        if (items.Count == 0)
        {
            return results;
        }

        var stored = await store.GetRawInputsAsync(job.Collection.Name, items.Select(i => i.Id).ToList(), job.FromSpace, cancellationToken);
        var byId = stored.ToDictionary(r => r.ItemId, r => r.Input, StringComparer.Ordinal);
        var work = new List<(int Index, RawInput Input)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (byId.TryGetValue(items[i].Id, out var input))
            {
                work.Add((i, input));
            }
        }

        if (work.Count == 0)
        {
            return results;
        }

        try
        {
            var vectors = await encoders.EncodeAsync(encoder, work.ConvertAll(w => w.Input), isQuery: false, j => $"item '{items[work[j].Index].Id}'", cancellationToken);
            for (var j = 0; j < work.Count; j++)
            {
                results[work[j].Index] = new ProducedVector(vectors[j], work[j].Input);
            }
        }
        catch (RetrievalException e) when (e.Kind == ErrorKind.InvalidArgument && work.Count > 1)
        {
            // One input the new encoder cannot take fails the whole call: find it by encoding one at a time.
            foreach (var (index, input) in work)
            {
                results[index] = await EncodeOneAsync(job, encoder, items[index].Id, input, cancellationToken);
            }
        }
        catch (RetrievalException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            MigrationLog.InputRefused(logger, job.Collection.Name, encoder.Name, items[work[0].Index].Id, job.ToSpace.Name, e.Message);
        }

        return results;
    }

    private async Task<ProducedVector?> EncodeOneAsync(BackfillJob job, Core.Model.EncoderRef encoder, string id, RawInput input, CancellationToken cancellationToken)
    {
        try
        {
            var vectors = await encoders.EncodeAsync(encoder, [input], isQuery: false, _ => $"item '{id}'", cancellationToken);
            return new ProducedVector(vectors[0], input);
        }
        catch (RetrievalException e) when (e.Kind == ErrorKind.InvalidArgument)
        {
            MigrationLog.InputRefused(logger, job.Collection.Name, encoder.Name, id, job.ToSpace.Name, e.Message);
            return null;
        }
    }
}

using Microsoft.ML.OnnxRuntime;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>
/// One loaded encoder: its cached session, preprocessing and pooling. <see cref="Run"/> is synchronous and runs
/// one batch; the micro-batcher calls it from its single worker, so a session never runs two batches at once.
/// Every ORT object made per run (RunOptions, OrtValues, the output collection) is disposed before returning:
/// leaking RunOptions in a tight loop once crashed the process.
/// </summary>
public sealed class OnnxEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputNames;

    public OnnxEncoder(InferenceSession session, EncoderDescriptor descriptor, IInputPreprocessor preprocessor)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        Descriptor = descriptor;
        Preprocessor = preprocessor;
        Signature = ModelSignature.Read(session, descriptor);
        _outputNames = [descriptor.OutputName];
    }

    public EncoderDescriptor Descriptor { get; }

    public IInputPreprocessor Preprocessor { get; }

    public ModelSignature Signature { get; }

    /// <summary>Largest batch one run takes: 1 for models whose batch dimension is fixed at 1.</summary>
    public int MaxRunBatch => Signature.FixedBatchOfOne ? 1 : Descriptor.MaxBatch;

    /// <summary>
    /// Most padding a text run may carry, as a share of its real tokens: a run pads every text to its longest, and on
    /// a CPU the padded positions cost as much as real ones, so mixed lengths run in length-sorted groups instead.
    /// </summary>
    public const double MaxTextPadding = 0.25;

    public IReadOnlyList<Embedding> Run(IReadOnlyList<PreparedInput> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Descriptor.InputKind == EncoderInputKind.Text && batch.Count > 1)
        {
            return RunTextByLength(batch, cancellationToken);
        }

        if (batch.Count <= MaxRunBatch && SameShape(batch))
        {
            return RunOnce(batch, cancellationToken);
        }

        // Fixed-batch-1 models run item by item; tensors of different shapes (dynamic dimensions, from different
        // requests sharing a micro-batch) cannot share one input tensor, so each shape runs on its own.
        var results = new Embedding[batch.Count];
        var groups = batch.Select((input, index) => (input, index)).GroupBy(p => ShapeKey(p.input));
        foreach (var group in groups)
        {
            foreach (var chunk in group.Chunk(MaxRunBatch))
            {
                var embeddings = RunOnce(chunk.Select(p => p.input).ToList(), cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    results[chunk[i].index] = embeddings[i];
                }
            }
        }

        return results;
    }

    /// <summary>
    /// Texts sorted by token count and cut into runs of at most <see cref="MaxRunBatch"/> whose padding stays within
    /// <see cref="MaxTextPadding"/> of their real tokens; results go back in the callers' order.
    /// </summary>
    private Embedding[] RunTextByLength(IReadOnlyList<PreparedInput> batch, CancellationToken cancellationToken)
    {
        var order = Enumerable.Range(0, batch.Count).OrderBy(i => batch[i].TokenIds!.Length).ToArray();
        var results = new Embedding[batch.Count];
        var start = 0;
        while (start < order.Length)
        {
            // Sorted ascending, so each added text is the run's longest: the run pads to it.
            long real = batch[order[start]].TokenIds!.Length;
            var end = start + 1;
            while (end < order.Length && end - start < MaxRunBatch)
            {
                long longest = batch[order[end]].TokenIds!.Length;
                if ((end - start + 1) * longest > (1 + MaxTextPadding) * (real + longest))
                {
                    break;
                }

                real += longest;
                end++;
            }

            var run = order[start..end];
            var embeddings = RunOnce(run.Select(i => batch[i]).ToList(), cancellationToken);
            for (var i = 0; i < run.Length; i++)
            {
                results[run[i]] = embeddings[i];
            }

            start = end;
        }

        return results;
    }

    private bool SameShape(IReadOnlyList<PreparedInput> batch) =>
        Descriptor.InputKind == EncoderInputKind.Text || batch.All(b => b.Shape.AsSpan().SequenceEqual(batch[0].Shape));

    /// <summary>Texts of any length pad into one batch; float inputs group by shape.</summary>
    private string ShapeKey(PreparedInput input) =>
        Descriptor.InputKind == EncoderInputKind.Text ? "" : string.Join(',', input.Shape);

    private Embedding[] RunOnce(IReadOnlyList<PreparedInput> batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var inputs = Descriptor.InputKind == EncoderInputKind.Text ? TextBatch.Build(batch, Descriptor, Signature) : TensorBatch.Build(batch, Descriptor);
        try
        {
            using var runOptions = new RunOptions();
            // Terminate asks ORT to stop between kernels; the run then throws and the batch fails as cancelled.
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var outputs = _session.Run(runOptions, inputs.Names, inputs.Values, _outputNames);
            return Split(outputs[0], batch.Count, inputs.Mask, inputs.Tokens);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OnnxRuntimeException e)
        {
            throw RetrievalException.Invalid(FieldPath.Of("inputs"), $"the model failed on this input: {e.Message}");
        }
        finally
        {
            inputs.Dispose();
        }
    }

    private Embedding[] Split(OrtValue output, int count, long[]? mask, int tokens)
    {
        var shape = output.GetTensorTypeAndShape().Shape;
        var data = output.GetTensorDataAsSpan<float>();
        if (shape.Length == 0 || shape[0] != count)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("output_name"), $"output shape [{string.Join(',', shape)}] has no batch dimension of {count}");
        }

        var pooled = Descriptor.Kind == EncoderKind.Multi || Descriptor.Pooling != Pooling.None;
        var perItem = data.Length / count;
        var expected = pooled ? (long)tokens * Descriptor.Dimension : Descriptor.Dimension;
        // Pooled descriptors are text-only (checked at validation), so tokens > 0 here.
        if (pooled && (shape.Length != 3 || shape[2] != Descriptor.Dimension || shape[1] != tokens))
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("dimension"), $"pooling needs token states [batch, {tokens}, {Descriptor.Dimension}]; the model gives [{string.Join(',', shape)}]");
        }

        if (perItem != expected)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("dimension"), $"declared {Descriptor.Dimension}, but the model gives {perItem} values per input (shape [{string.Join(',', shape)}])");
        }

        var results = new Embedding[count];
        for (var i = 0; i < count; i++)
        {
            var itemMask = mask is null ? ReadOnlySpan<long>.Empty : mask.AsSpan(i * tokens, tokens);
            results[i] = VectorPooling.Pool(data.Slice(i * perItem, perItem), pooled ? tokens : 0, itemMask, Descriptor);
        }

        return results;
    }

    public void Dispose() => _session.Dispose();
}

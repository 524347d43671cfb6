using Microsoft.ML.OnnxRuntime;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Benchmarks.Encoders;

/// <summary>
/// The peer: a bare ONNX Runtime session with the server's session settings, fed already-prepared inputs (no
/// tokenization, decoding, pooling, gRPC or batcher). Every ORT object of a run is disposed.
/// </summary>
internal sealed class RawOrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BenchmarkedModel _model;
    private readonly string[] _outputNames;
    private readonly bool _fixedBatchOfOne;

    public RawOrtRunner(BenchmarkedModel model, bool allowSpinning, bool stopSpinningAfterRun)
    {
        _model = model;
        // Same settings as the server's (Retrieval:Encoders): ORT-chosen thread counts, all graph optimizations, and the
        // benchmark's spinning choices.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        options.AddSessionConfigEntry("session.force_spinning_stop", stopSpinningAfterRun ? "1" : "0");
        _session = new InferenceSession(model.Model, options);
        _outputNames = [model.Descriptor.OutputName];
        var first = model.Tokenization is null ? _session.InputMetadata[model.Descriptor.InputName] : _session.InputMetadata.Values.First();
        _fixedBatchOfOne = first.Dimensions.Length > 0 && first.Dimensions[0] == 1;
    }

    /// <summary>Runs one request's inputs: one ORT run, or one per item when the model's batch dimension is fixed at 1.</summary>
    public void Run(IReadOnlyList<PreparedInput> batch)
    {
        if (!_fixedBatchOfOne)
        {
            RunOnce(batch);
            return;
        }

        foreach (var item in batch)
        {
            RunOnce([item]);
        }
    }

    private void RunOnce(IReadOnlyList<PreparedInput> batch)
    {
        if (_model.Tokenization is { } text)
        {
            RunText(batch, text);
        }
        else
        {
            RunTensor(batch);
        }
    }

    private void RunText(IReadOnlyList<PreparedInput> batch, Retrieval.Encoders.Onnx.Descriptors.TextSettings text)
    {
        var tokens = batch.Max(b => b.TokenIds!.Length);
        var ids = new long[batch.Count * tokens];
        var mask = new long[batch.Count * tokens];
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].TokenIds!.CopyTo(ids, i * tokens);
            mask.AsSpan(i * tokens, batch[i].TokenIds!.Length).Fill(1);
        }

        long[] shape = [batch.Count, tokens];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(
            runOptions, [text.InputIdsName, text.AttentionMaskName, text.TokenTypeIdsName], [idsValue, maskValue, typesValue], _outputNames);
        Check(outputs[0], batch.Count);
    }

    private void RunTensor(IReadOnlyList<PreparedInput> batch)
    {
        var perItem = batch[0].Values!.Length;
        var data = new float[batch.Count * perItem];
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Values!.CopyTo(data, i * perItem);
        }

        long[] shape = [batch.Count, .. batch[0].Shape.Select(d => (long)d)];
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [_model.Descriptor.InputName], [input], _outputNames);
        Check(outputs[0], batch.Count);
    }

    /// <summary>A peer that silently returned nothing would look fast; make sure it produced one row per input.</summary>
    private static void Check(OrtValue output, int count)
    {
        var shape = output.GetTensorTypeAndShape().Shape;
        if (shape.Length == 0 || shape[0] != count)
        {
            throw new InvalidOperationException($"raw ORT output shape [{string.Join(',', shape)}] for {count} inputs");
        }
    }

    public void Dispose() => _session.Dispose();
}

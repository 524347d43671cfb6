using Microsoft.ML.OnnxRuntime;
using Retrieval.Core.Errors;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>Creates sessions with the configured threads, optimization level and execution provider.</summary>
public sealed class OnnxSessionFactory(OnnxEncoderOptions options, ExecutionProviderChoice provider)
{
    public ExecutionProviderChoice Provider => provider;

    /// <summary>Loads a model; bytes ONNX Runtime refuses become INVALID_ARGUMENT (the caller sent them).</summary>
    public InferenceSession Create(byte[] model)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            GraphOptimizationLevel = ParseLevel(options.GraphOptimizationLevel),
        };
        try
        {
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
            sessionOptions.AddSessionConfigEntry("session.force_spinning_stop", options.StopSpinningAfterRun ? "1" : "0");
            if (provider.UseCuda)
            {
                sessionOptions.AppendExecutionProvider_CUDA(provider.CudaDeviceId);
            }

            return new InferenceSession(model, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw RetrievalException.Invalid(FieldPath.Of("model"), $"ONNX Runtime cannot load it: {e.Message}");
        }
        finally
        {
            // The session keeps what it needs; the options object owns native memory of its own.
            sessionOptions.Dispose();
        }
    }

    public static GraphOptimizationLevel ParseLevel(string level) => level.ToUpperInvariant() switch
    {
        "NONE" => GraphOptimizationLevel.ORT_DISABLE_ALL,
        "BASIC" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "EXTENDED" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}

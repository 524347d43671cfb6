using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>
/// Decides once, at start-up, between CUDA and CPU. CUDA is used only when configured, compiled into the native
/// library (the GPU package), and a probe session option accepts it (which loads the CUDA provider library and so
/// fails when CUDA/cuDNN are missing). Any failure falls back to CPU with the reason logged, never a crash.
/// </summary>
public sealed class ExecutionProviderSelector
{
    private const string CudaProvider = "CUDAExecutionProvider";
    private readonly Func<IReadOnlyCollection<string>> _availableProviders;
    private readonly Action<int> _probeCuda;

    public ExecutionProviderSelector()
        : this(() => OrtEnv.Instance().GetAvailableProviders(), ProbeCuda)
    {
    }

    /// <summary>Seams for tests: the provider list and the CUDA probe.</summary>
    public ExecutionProviderSelector(Func<IReadOnlyCollection<string>> availableProviders, Action<int> probeCuda)
    {
        _availableProviders = availableProviders;
        _probeCuda = probeCuda;
    }

    public ExecutionProviderChoice Select(OnnxEncoderOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var choice = Decide(options);
        if (!choice.UseCuda && string.Equals(options.ExecutionProvider, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            Log.CudaFallback(logger, choice.Reason);
        }

        Log.ExecutionProviderChosen(logger, choice.Provider, choice.Reason);
        return choice;
    }

    private ExecutionProviderChoice Decide(OnnxEncoderOptions options)
    {
        if (!string.Equals(options.ExecutionProvider, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            return new ExecutionProviderChoice(false, 0, "configured");
        }

        IReadOnlyCollection<string> available;
        try
        {
            available = _availableProviders();
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return new ExecutionProviderChoice(false, 0, $"ONNX Runtime could not list its providers: {e.Message}");
        }

        if (!available.Contains(CudaProvider))
        {
            return new ExecutionProviderChoice(false, 0, "this build of ONNX Runtime has no CUDA provider (build with -p:RetrievalOnnxGpu=true)");
        }

        try
        {
            _probeCuda(options.CudaDeviceId);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return new ExecutionProviderChoice(false, 0, $"CUDA initialisation failed: {e.Message}");
        }

        return new ExecutionProviderChoice(true, options.CudaDeviceId, $"configured; device {options.CudaDeviceId}");
    }

    private static void ProbeCuda(int deviceId)
    {
        using var probe = new SessionOptions();
        probe.AppendExecutionProvider_CUDA(deviceId);
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>
/// Decides once, at start-up, between CUDA and CPU. CUDA is used only when configured, compiled into the native
/// library (the GPU package), and a probe model runs on it: creating the session loads the CUDA provider library
/// (failing when CUDA libraries are missing) and initialises the device (failing when the driver and CUDA runtime do
/// not match, or the device is absent). Any failure falls back to CPU with the reason logged, never a crash.
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

    /// <summary>Runs <see cref="CudaProbeModel"/> on the device; throws when the device cannot run it.</summary>
    internal static void ProbeCuda(int deviceId)
    {
        using var options = new SessionOptions();
        options.AppendExecutionProvider_CUDA(deviceId);
        RunProbe(options);
    }

    /// <summary>Runs the probe model with the given options and checks its one output value.</summary>
    internal static void RunProbe(SessionOptions options)
    {
        using var session = new InferenceSession(CudaProbeModel.Bytes, options);
        float[] value = [1.5f];
        using var input = OrtValue.CreateTensorValueFromMemory(value, [1]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [CudaProbeModel.InputName], [input], [CudaProbeModel.OutputName]);
        var result = outputs[0].GetTensorDataAsSpan<float>();
        if (result.Length != 1 || result[0] != 1.5f)
        {
            throw new InvalidOperationException("the CUDA probe model returned a wrong value");
        }
    }
}

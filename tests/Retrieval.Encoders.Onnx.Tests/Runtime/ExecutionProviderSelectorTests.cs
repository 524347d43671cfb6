using Retrieval.Encoders.Onnx.Runtime;
using Retrieval.Testing.Logging;
using Xunit.Abstractions;

namespace Retrieval.Encoders.Onnx.Tests.Runtime;

/// <summary>CUDA is optional: every way it can be missing must end on CPU with the reason logged, never a failure.</summary>
public sealed class ExecutionProviderSelectorTests(ITestOutputHelper output)
{
    private static OnnxEncoderOptions Cuda => new() { ExecutionProvider = "cuda" };

    [Fact]
    public void Select_CpuConfigured_UsesCpu()
    {
        var logger = new ListLogger<ExecutionProviderSelector>();
        var choice = new ExecutionProviderSelector().Select(new OnnxEncoderOptions(), logger);

        Assert.False(choice.UseCuda);
        Assert.Contains(logger.Lines, m => m.Contains("CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void Select_CudaConfiguredOnTheCpuBuild_FallsBackToCpuWithReason()
    {
        var logger = new ListLogger<ExecutionProviderSelector>();
        var choice = new ExecutionProviderSelector().Select(Cuda, logger);
        output.WriteLine(choice.Reason);

        // The test run uses the CPU package (CI has no GPU); with -p:RetrievalOnnxGpu=true on a machine without CUDA
        // the probe fails instead, which the next test covers.
        Assert.False(choice.UseCuda);
        Assert.Contains(logger.Lines, m => m.Contains("falling back to CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void Select_CudaProbeFails_FallsBackToCpuWithTheError()
    {
        var logger = new ListLogger<ExecutionProviderSelector>();
        var selector = new ExecutionProviderSelector(
            () => ["CUDAExecutionProvider", "CPUExecutionProvider"],
            _ => throw new DllNotFoundException("libcudnn.so.9: cannot open shared object file"));

        var choice = selector.Select(Cuda, logger);

        Assert.False(choice.UseCuda);
        Assert.Contains("libcudnn", choice.Reason, StringComparison.Ordinal);
        Assert.Contains(logger.Lines, m => m.Contains("libcudnn", StringComparison.Ordinal));
    }

    [Fact]
    public void Select_CudaAvailable_UsesCuda()
    {
        var selector = new ExecutionProviderSelector(() => ["CUDAExecutionProvider"], _ => { });

        var choice = selector.Select(Cuda, new ListLogger<ExecutionProviderSelector>());

        Assert.True(choice.UseCuda);
        Assert.Equal("CUDA", choice.Provider);
    }

    [Fact]
    public void Select_DeviceFailsWhenTheProbeSessionStarts_FallsBackToCpuWithTheError()
    {
        // What a GPU machine whose CUDA runtime did not match its driver did: the provider library loaded, and the
        // device failed only when a session was created on it.
        var selector = new ExecutionProviderSelector(
            () => ["CUDAExecutionProvider", "CPUExecutionProvider"],
            _ => throw new InvalidOperationException("CUDA failure 803: system has unsupported display driver / cuda driver combination"));

        var choice = selector.Select(Cuda, new ListLogger<ExecutionProviderSelector>());

        Assert.False(choice.UseCuda);
        Assert.Contains("803", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RunProbe_OnCpu_RunsTheProbeModel()
    {
        // The probe model is written by hand in protobuf wire format: ONNX Runtime must accept and run it, or every
        // CUDA start-up would fall back for a reason that has nothing to do with the GPU.
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();

        ExecutionProviderSelector.RunProbe(options);
    }
}

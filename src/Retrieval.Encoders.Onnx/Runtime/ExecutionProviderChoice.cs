namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>The execution provider every session uses, and why (logged at start-up).</summary>
public sealed record ExecutionProviderChoice(bool UseCuda, int CudaDeviceId, string Reason)
{
    public string Provider => UseCuda ? "CUDA" : "CPU";
}

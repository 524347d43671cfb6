using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx.GpuCheck;

/// <summary>The same package loaded twice through the registry's factory: once on CPU, once on the chosen CUDA device.</summary>
public sealed class EncoderPair : IDisposable
{
    private EncoderPair(OnnxEncoder cpu, OnnxEncoder cuda)
    {
        Cpu = cpu;
        Cuda = cuda;
    }

    public OnnxEncoder Cpu { get; }

    public OnnxEncoder Cuda { get; }

    public static EncoderPair Create(EncoderPackage package, ExecutionProviderChoice cudaChoice)
    {
        var options = new OnnxEncoderOptions();
        var cpu = new EncoderFactory(new OnnxSessionFactory(options, new ExecutionProviderChoice(false, 0, "parity baseline"))).Create(package);
        try
        {
            var cuda = new EncoderFactory(new OnnxSessionFactory(options, cudaChoice)).Create(package);
            return new EncoderPair(cpu, cuda);
        }
        catch
        {
            cpu.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Cpu.Dispose();
        Cuda.Dispose();
    }
}

using Microsoft.Extensions.Options;
using Retrieval.Core.Storage;
using Retrieval.Encoders.Onnx;

namespace Retrieval.Server.Hosting;

/// <summary>Wires the ONNX encoder registry into the server: options from <c>Retrieval:Encoders</c>, models under the data directory.</summary>
internal static class EncoderHostingExtensions
{
    /// <summary>
    /// With <paramref name="inSharedStore"/> (cluster mode) registered models live in the store of record, so that every
    /// node loads what any node registered; otherwise in <c>Retrieval:Encoders:Directory</c>.
    /// </summary>
    public static IServiceCollection AddRetrievalEncoders(this IServiceCollection services, bool inSharedStore)
    {
        services.AddOptions<OnnxEncoderOptions>()
            .BindConfiguration(OnnxEncoderOptions.SectionName)
            .Validate(o => o.ExecutionProvider is "cpu" or "cuda", "Retrieval:Encoders:ExecutionProvider must be 'cpu' or 'cuda'")
            .Validate(o => o.GraphOptimizationLevel is "none" or "basic" or "extended" or "all", "Retrieval:Encoders:GraphOptimizationLevel must be none, basic, extended or all")
            .Validate(o => o.QueueCapacity > 0 && o.MaxModelBytes > 0 && o.MaxWaitMilliseconds >= 0 && o.IntraOpThreads >= 0 && o.InterOpThreads >= 0, "Retrieval:Encoders: queue capacity must be positive; waits and threads not negative")
            .ValidateOnStart();
        return services.AddOnnxEncoders(
            sp => Path.Combine(sp.GetRequiredService<IOptions<RetrievalServerOptions>>().Value.DataDirectory, "encoders"),
            inSharedStore ? SharedModels : null);
    }

    // Cluster mode runs on PostgreSQL only (ClusterModeHosting refuses anything else), whose store keeps encoder models.
    private static IEncoderModelStore SharedModels(IServiceProvider services) =>
        services.GetRequiredService<IRetrievalStore>() as IEncoderModelStore
            ?? throw new InvalidOperationException("cluster mode keeps encoder models in the store of record, and this store cannot (Retrieval:Store=postgres is needed)");
}

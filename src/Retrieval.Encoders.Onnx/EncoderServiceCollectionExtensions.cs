using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retrieval.Core.Encoders;
using Retrieval.Core.Storage;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx;

/// <summary>Registers the encoder registry and its parts; the execution provider is chosen (and logged) once, when the registry is first built.</summary>
public static class EncoderServiceCollectionExtensions
{
    /// <summary>
    /// The registry with its versions in <c>Retrieval:Encoders:Directory</c> (default <paramref name="defaultDirectory"/>),
    /// or, when <paramref name="sharedStore"/> is given (cluster mode), in the store of record every node reads.
    /// </summary>
    public static IServiceCollection AddOnnxEncoders(
        this IServiceCollection services, Func<IServiceProvider, string> defaultDirectory, Func<IServiceProvider, IEncoderModelStore>? sharedStore = null)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OnnxEncoderOptions>>().Value);
        services.AddSingleton(sp => new ExecutionProviderSelector()
            .Select(sp.GetRequiredService<OnnxEncoderOptions>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<ExecutionProviderSelector>()));
        services.AddSingleton<OnnxSessionFactory>();
        services.AddSingleton<EncoderFactory>();
        services.AddSingleton<IEncoderStore>(sp =>
        {
            if (sharedStore is not null)
            {
                return new SharedEncoderStore(sharedStore(sp));
            }

            var options = sp.GetRequiredService<OnnxEncoderOptions>();
            return new EncoderStore(options.Directory.Length > 0 ? options.Directory : defaultDirectory(sp));
        });
        services.AddSingleton<EncoderRegistry>();
        services.AddSingleton<ISpaceEncoders, RegistrySpaceEncoders>();
        return services;
    }
}

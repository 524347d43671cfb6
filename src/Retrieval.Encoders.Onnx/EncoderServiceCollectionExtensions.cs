using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retrieval.Core.Encoders;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx;

/// <summary>Registers the encoder registry and its parts; the execution provider is chosen (and logged) once, when the registry is first built.</summary>
public static class EncoderServiceCollectionExtensions
{
    public static IServiceCollection AddOnnxEncoders(this IServiceCollection services, Func<IServiceProvider, string> defaultDirectory)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OnnxEncoderOptions>>().Value);
        services.AddSingleton(sp => new ExecutionProviderSelector()
            .Select(sp.GetRequiredService<OnnxEncoderOptions>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<ExecutionProviderSelector>()));
        services.AddSingleton<OnnxSessionFactory>();
        services.AddSingleton<EncoderFactory>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<OnnxEncoderOptions>();
            return new EncoderStore(options.Directory.Length > 0 ? options.Directory : defaultDirectory(sp));
        });
        services.AddSingleton<EncoderRegistry>();
        services.AddSingleton<ISpaceEncoders, RegistrySpaceEncoders>();
        return services;
    }
}

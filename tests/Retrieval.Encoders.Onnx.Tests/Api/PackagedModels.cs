using System.Reflection;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>Models that NuGet packages carry as embedded resources of their assemblies (SentenceTransformers.*).</summary>
public static class PackagedModels
{
    /// <summary>The resource of <paramref name="assemblyName"/> whose name ends with <paramref name="suffix"/> (e.g. <c>model.onnx</c>).</summary>
    public static byte[] Resource(string assemblyName, string suffix)
    {
        var assembly = Assembly.Load(assemblyName);
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

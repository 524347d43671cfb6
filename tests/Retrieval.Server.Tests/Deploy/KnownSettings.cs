using System.Collections;
using System.Reflection;
using Retrieval.Cluster;
using Retrieval.Engine.Indexes;
using Retrieval.Server.Hosting;
using Retrieval.Server.Security;

namespace Retrieval.Server.Tests.Deploy;

/// <summary>
/// Whether an environment variable name is configuration the server reads: <c>Retrieval__*</c> names must walk to a
/// property of the options type bound at that section (found by reflection, so a renamed or removed option fails
/// here), plus the connection string and the Kestrel endpoint URLs.
/// </summary>
internal static class KnownSettings
{
    /// <summary>Every options type bound from a <c>Retrieval</c> section, by its section (each declares <c>SectionName</c>).</summary>
    private static readonly Dictionary<string, Type> Sections = new[]
        {
            typeof(RetrievalServerOptions), typeof(AuthOptions), typeof(BackfillWorkerOptions), typeof(ClusterModeOptions),
            typeof(IndexingOptions), typeof(Retrieval.Encoders.Onnx.OnnxEncoderOptions), typeof(TracingOptions),
        }
        .ToDictionary(SectionOf, t => t, StringComparer.Ordinal);

    public static void AssertKnown(string name)
    {
        var parts = name.Split("__");
        switch (parts[0])
        {
            case "ConnectionStrings":
                Assert.Equal(["ConnectionStrings", "Postgres"], parts);
                return;
            case "Kestrel":
                Assert.Matches("^Kestrel__Endpoints__(Rest|Grpc)__Url$", name);
                return;
            case RetrievalServerOptions.SectionName:
                AssertOptionPath(name, parts);
                return;
            default:
                Assert.Fail($"{name} is not a setting the server reads");
                return;
        }
    }

    /// <summary>The options type of the longest section that prefixes the name, then one property per remaining part.</summary>
    private static void AssertOptionPath(string name, string[] parts)
    {
        var depth = Enumerable.Range(1, parts.Length - 1).Reverse().First(n => Sections.ContainsKey(string.Join(':', parts.Take(n))));
        var type = Sections[string.Join(':', parts.Take(depth))];
        foreach (var part in parts.Skip(depth))
        {
            if (int.TryParse(part, out _) && ElementType(type) is { } element)
            {
                type = element;
                continue;
            }

            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
            Assert.True(property is { CanWrite: true }, $"{name}: {type.Name} has no setting '{part}'");
            type = Nullable.GetUnderlyingType(property!.PropertyType) ?? property.PropertyType;
        }

        Assert.True(IsScalar(type), $"{name} names {type.Name}, a section, not a value");
    }

    private static string SectionOf(Type options) =>
        (string)options.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static Type? ElementType(Type type) =>
        type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[^1] : null;

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan);
}

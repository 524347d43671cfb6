using Google.Protobuf;
using Google.Protobuf.Reflection;
using Retrieval.Core.Security;
using Retrieval.Server.Security;

namespace Retrieval.Server.Rest;

/// <summary>
/// <c>GET /v1/protos/descriptor-set</c>: the API's protos as a binary <c>google.protobuf.FileDescriptorSet</c> with every
/// import included (google/api/annotations.proto, http.proto, the well-known types): what
/// <c>protoc --include_imports --descriptor_set_out</c> writes, built from the descriptors compiled into the server, so
/// a client loads the exact contract it talks to without protoc or an include path (docs/api.md, "Protos").
/// </summary>
internal static class ProtoDescriptorSetEndpoint
{
    public const string Path = "/v1/protos/descriptor-set";

    public const string ContentType = "application/x-protobuf";

    /// <summary>The files that define the services, in an order where each file follows its imports.</summary>
    public static IReadOnlyList<FileDescriptor> Files { get; } = InDependencyOrder(
        [.. AccessPolicies.ApiFiles, Contracts.V1.ServerReflection.Descriptor]);

    private static readonly byte[] Serialized = Build().ToByteArray();

    public static IEndpointRouteBuilder MapProtoDescriptorSet(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, () => Results.Bytes(Serialized, ContentType, "retrieval.protoset"))
            .RequireAccess($"GET {Path}", ApiKeyScope.Read, CollectionBinding.Global);
        return endpoints;
    }

    public static FileDescriptorSet Build()
    {
        var set = new FileDescriptorSet();
        foreach (var file in Files)
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }

        return set;
    }

    private static List<FileDescriptor> InDependencyOrder(IEnumerable<FileDescriptor> roots)
    {
        var ordered = new List<FileDescriptor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(FileDescriptor file)
        {
            if (!seen.Add(file.Name))
            {
                return;
            }

            foreach (var dependency in file.Dependencies)
            {
                Visit(dependency);
            }

            ordered.Add(file);
        }

        foreach (var root in roots)
        {
            Visit(root);
        }

        return ordered;
    }
}

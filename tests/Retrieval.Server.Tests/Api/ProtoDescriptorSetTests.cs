using System.Net;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Retrieval.Server.Tests.Infrastructure;

namespace Retrieval.Server.Tests.Api;

public sealed class ProtoDescriptorSetTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task DescriptorSet_HasEveryServiceAndItsImports_AndBuildsOnItsOwn()
    {
        using var response = await fixture.Server.Rest.GetAsync(new Uri("/v1/protos/descriptor-set", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var set = FileDescriptorSet.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        var names = set.File.Select(f => f.Name).ToList();
        Assert.Contains("google/api/annotations.proto", names);
        Assert.Contains("google/api/http.proto", names);
        Assert.Contains("google/protobuf/struct.proto", names);
        Assert.Contains("retrieval/v1/search.proto", names);

        // Self-contained: the files build into descriptors with nothing else on hand (each file after its imports).
        var files = FileDescriptor.BuildFromByteStrings(set.File.Select(f => f.ToByteString()));
        var services = files.SelectMany(f => f.Services).Select(s => s.FullName).ToList();
        foreach (var expected in new[] { "retrieval.v1.Collections", "retrieval.v1.Items", "retrieval.v1.Search", "retrieval.v1.Maps",
                     "retrieval.v1.Migrations", "retrieval.v1.Encoders", "retrieval.v1.Keys", "retrieval.v1.ServerInformation" })
        {
            Assert.Contains(expected, services);
        }
    }

    [Fact]
    public void Build_PlacesTheGoogleApiProtosBesideOurs()
    {
        var protos = Path.Combine(RepositoryRoot(), "protos");
        Assert.True(File.Exists(Path.Combine(protos, "google", "api", "annotations.proto")), "protos/google/api/annotations.proto is missing");
        Assert.True(File.Exists(Path.Combine(protos, "google", "api", "http.proto")), "protos/google/api/http.proto is missing");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Retrieval.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("no Retrieval.sln above the test binaries");
    }
}

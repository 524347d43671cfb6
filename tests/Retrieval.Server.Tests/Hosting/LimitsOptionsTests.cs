using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retrieval.Server.Hosting;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Hosting;

/// <summary>A limit of zero or less would make searches and batches misbehave, so the server refuses to start with one.</summary>
public sealed class LimitsOptionsTests
{
    [Theory]
    [InlineData("MaxK")]
    [InlineData("MaxGroupSearchDepth")]
    [InlineData("MaxScrollLimit")]
    public void Limit_NotPositive_RefusesToStartNamingTheSection(string limit)
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra[$"Retrieval:Limits:{limit}"] = "0";

        var refused = Assert.Throws<OptionsValidationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments())
            .Services.GetRequiredService<IOptions<RetrievalServerOptions>>().Value);

        Assert.Contains("Retrieval:Limits", refused.Message, StringComparison.Ordinal);
        Assert.Contains(limit, refused.Message, StringComparison.Ordinal);
    }
}

using Grpc.Core;
using Retrieval.Contracts.V1;

namespace Retrieval.Server.Tests.Security;

/// <summary>
/// Runs alone, after the parallel test classes: the server's logger is process-wide (Serilog's static logger follows the
/// last host started in this process), so another in-process server starting meanwhile would take this one's log file.
/// </summary>
[CollectionDefinition(nameof(AuditLogRunsAlone), DisableParallelization = true)]
public sealed class AuditLogRunsAlone;

/// <summary>The audit trail in the server's log, and no secret anywhere in logs, error messages or metrics.</summary>
[Collection(nameof(AuditLogRunsAlone))]
public sealed class AuditLogTests(SecuredServerFixture fixture) : IClassFixture<SecuredServerFixture>
{
    [Fact]
    public async Task Mutations_AndRefusals_AreAuditedWithKeyIdAndCollection()
    {
        var writerId = fixture.Write.Substring(4, 12);
        await fixture.Server.Items.UpsertItemsAsync(new UpsertItemsRequest
        {
            Collection = SecuredServerFixture.Other,
            Items = { new Item { Id = "audited", Vectors = { ["v1"] = new Vector { Values = { 0, 1, 0, 0 } } } } },
        }, SecuredServerFixture.Auth(fixture.Write));
        await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Items.DeleteItemsAsync(
            new DeleteItemsRequest { Collection = SecuredServerFixture.Victim, Ids = { "item-0" } }, SecuredServerFixture.Auth(fixture.Read)).ResponseAsync);

        var log = await fixture.ReadLogAsync();
        Assert.Contains($"Audit retrieval.v1.Items/UpsertItems by {writerId} from 127.0.0.1 on {SecuredServerFixture.Other}: ok, 1 item(s)", log, StringComparison.Ordinal);
        Assert.Contains($"Audit refused retrieval.v1.Items/DeleteItems by {fixture.Read.Substring(4, 12)}", log, StringComparison.Ordinal);
    }


    [Fact]
    public async Task RequestLines_AreNotWritten_UnlessLogRequestsIsOn()
    {
        // Retrieval:LogRequests is off by default: the request-logging middleware is not in the pipeline.
        await fixture.Server.Items.UpsertItemsAsync(new UpsertItemsRequest
        {
            Collection = SecuredServerFixture.Other,
            Items = { new Item { Id = "unlogged", Vectors = { ["v1"] = new Vector { Values = { 1, 0, 0, 0 } } } } },
        }, SecuredServerFixture.Auth(fixture.Write));

        var log = await fixture.ReadLogAsync();
        Assert.Contains("Audit retrieval.v1.Items/UpsertItems", log, StringComparison.Ordinal);
        Assert.DoesNotContain(" responded ", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_NeverAppearInLogsErrorsOrMetrics()
    {
        // Present every secret in the ways that get logged: refused, with a wrong scope, mangled, and as a payload of a
        // failing call; then scrape the metrics.
        var errors = new List<string>();
        foreach (var secret in fixture.Secrets)
        {
            foreach (var presented in new[] { secret, secret + "x", secret[..^1] })
            {
                try
                {
                    await fixture.Server.Collections.DeleteCollectionAsync(new DeleteCollectionRequest { Name = "no-such" }, SecuredServerFixture.Auth(presented));
                }
                catch (RpcException e)
                {
                    errors.Add(e.Status.Detail);
                }
            }
        }

        using var rest = fixture.Rest(fixture.Admin);
        var metrics = await rest.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var log = await fixture.ReadLogAsync();

        Assert.NotEmpty(errors);
        Assert.Contains("Audit refused", log, StringComparison.Ordinal);
        foreach (var secret in fixture.Secrets)
        {
            var secretPart = secret[17..];
            Assert.DoesNotContain(secretPart, log, StringComparison.Ordinal);
            Assert.DoesNotContain(secretPart, metrics, StringComparison.Ordinal);
            Assert.All(errors, e => Assert.DoesNotContain(secretPart, e, StringComparison.Ordinal));
        }
    }
}

using System.Net;
using System.Text.Json;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// REST bodies are held to the shape the OpenAPI document describes: unknown fields, wrong JSON types and bad enum
/// names are refused with 400 naming the field path and the reason, a body field that contradicts the path is refused,
/// and nothing is written by a refused request.
/// </summary>
public sealed class StrictJsonBodyTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private InProcessServer Server => fixture.Server;

    [Theory]
    [InlineData(""":search""", """{"vector":{"values":[1,0,0,0]},"k":1,"limt":3}""", "limt: unknown field")]
    [InlineData("/items:upsert", """{"items":[{"id":"a","vectors":{"v1":{"values":[1,0,"x",0]}}}]}""", "items[0].vectors.v1.values[2]: expected a number")]
    [InlineData("/items:upsert", """{"items":[{"id":"a","vectors":{"v1":{"values":[1,0,0,0]}},"payload":[1]}]}""", "items[0].payload: expected an object")]
    [InlineData("/items:upsert", """{"items":{"id":"a"}}""", "items: expected an array")]
    [InlineData(""":search""", """{"vector":{"values":[1,0,0,0]},"k":1.5}""", "k: expected a 32-bit integer, got 1.5")]
    [InlineData(""":search""", """{"vector":{"values":[1,0,0,0]},"k":"2"}""", "k: expected a 32-bit integer")]
    [InlineData("/items:upsert", """{"items":[{"id":"a","vectors":{"v1":{"values":["1",0,0,0]}}}]}""", "items[0].vectors.v1.values[0]: expected a number")]
    [InlineData(""":search""", """{"vector":{"values":[1,0,0,0]},"k":1,"withPayload":"yes"}""", "withPayload: expected true or false")]
    [InlineData(""":search""", """{"vector":{"values":[1,0,0,0]},"k":1,"filter":{"must":[{"key":"a","matsch":{}}]}}""", "filter.must[0].matsch: unknown field")]
    [InlineData("/items:count", """{"filter":""", "body: not valid JSON")]
    [InlineData(""":search""", """{"collection":"some-other","vector":{"values":[1,0,0,0]},"k":1}""", "collection: the body says 'some-other' but the path says")]
    public async Task MalformedBody_IsRefusedNamingTheFieldAndReason(string route, string body, string expected)
    {
        var name = await TestCollections.CreateAsync(Server, "strict");
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}{route}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(text);
        Assert.Equal(3, error.RootElement.GetProperty("code").GetInt32());
        Assert.StartsWith(expected, error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("details").ValueKind);
        Assert.Equal(0, (await Server.Items.CountItemsAsync(new Contracts.V1.CountItemsRequest { Collection = name })).Count);
    }

    [Fact]
    public async Task BodyThatIsNotUtf8_IsRefusedAsSuch_NotA500()
    {
        var name = await TestCollections.CreateAsync(Server, "strict-utf8");
        // A lone continuation byte and an overlong encoding inside a property name: the JSON parser alone accepts it.
        byte[] body = [.. "{\"ite"u8, 0x80, 0xC0, 0xAF, .. "ms\":[]}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await Server.Rest.PostAsync(new Uri($"/v1/collections/{name}/items:upsert", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("body: not valid UTF-8", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadEnumValue_NamesTheAllowedValues()
    {
        using var response = await Server.PostJsonAsync("/v1/collections",
            """{"name":"enum-check","spaces":[{"name":"v1","dimension":2,"metric":"COSINE","model":{"name":"m"}}]}""");
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("spaces[0].metric: 'COSINE' is not one of METRIC_UNSPECIFIED, METRIC_INNER_PRODUCT, METRIC_COSINE, METRIC_L2", message);
    }

    [Fact]
    public async Task BodyFieldThatRepeatsThePath_IsAccepted_AndProtoFieldNamesToo()
    {
        var name = await TestCollections.CreateAsync(Server, "strict-ok");
        using var response = await Server.PostJsonAsync($"/v1/collections/{name}/items:upsert",
            $$$$"""{"collection":"{{{{name}}}}","items":[{"id":"a","vectors":{"v1":{"values":[1e0,0,0,"NaN"]}}}]}""");
        // The shape is right ("NaN" is how proto3 JSON writes it); the engine then refuses the NaN by name.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("items[0].vectors.v1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var ok = await Server.PostJsonAsync($"/v1/collections/{name}:search", """{"vector":{"values":[1,0,0,0]},"k":1,"with_payload":true}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task MultipartUploadError_CarriesDetailsLikeEveryOtherError()
    {
        using var content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var response = await Server.Rest.PostAsync(new Uri("/v1/encoders:upload", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(3, error.RootElement.GetProperty("code").GetInt32());
        Assert.StartsWith("body: must be multipart/form-data", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("details").ValueKind);
    }
}

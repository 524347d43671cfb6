using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.Tokenizers;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>The REST multipart upload (<c>POST /v1/encoders:upload</c>): streamed, chunked or not, and bounded by MaxModelBytes.</summary>
public sealed class MultipartUploadTests
{
    private static readonly TinyTextModel Model = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload_Multipart_RegistersAWorkingEncoder(bool chunked)
    {
        await using var server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        var name = chunked ? "multipart-chunked" : "multipart";

        using var response = await server.Rest.PostAsync(new Uri("/v1/encoders:upload", UriKind.Relative), Form(name, Model.Model(), chunked));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(Model.Model().Length, json.RootElement.GetProperty("modelBytes").GetInt64());
        var encoded = await server.Encoders.EncodeAsync(new EncodeRequest { Name = name, Inputs = { new EncoderInput { Text = "the cat sat" } } });
        var tokenizer = BertTokenizer.Create(new MemoryStream(TinyTextModel.VocabularyBytes));
        VectorAssert.Close(Model.Expected(tokenizer.EncodeToIds("the cat sat")), encoded.Embeddings[0].Values.ToArray());
    }

    [Fact]
    public async Task Upload_ModelOverMaxModelBytes_Is413AndRegistersNothing()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        configuration.Extra["Retrieval:Encoders:MaxModelBytes"] = "1000";
        await using var server = await InProcessServer.StartAsync(configuration);

        using var response = await server.Rest.PostAsync(new Uri("/v1/encoders:upload", UriKind.Relative), Form("too-big", Model.Model(), chunked: true));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MaxModelBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await server.Encoders.ListEncodersAsync(new ListEncodersRequest())).Encoders);
    }

    [Fact]
    public async Task Upload_WithoutModelPart_IsInvalidArgumentNamingModel()
    {
        await using var server = await InProcessServer.StartAsync(new ServerConfiguration("sqlite", null));
        using var form = new MultipartFormDataContent { { new StringContent(JsonFormatter.Default.Format(Descriptors.Text("no-model"))), "descriptor" } };

        using var response = await server.Rest.PostAsync(new Uri("/v1/encoders:upload", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("model", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static MultipartFormDataContent Form(string name, byte[] model, bool chunked)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonFormatter.Default.Format(Descriptors.Text(name))), "descriptor" },
            // A stream of unknown length makes HttpClient send the body chunked.
            { chunked ? new StreamContent(new UnseekableStream(model)) : new ByteArrayContent(model), "model", "model.onnx" },
            { new ByteArrayContent(TinyTextModel.VocabularyBytes), "vocabulary", "vocab.txt" },
        };
        form.Headers.ContentType = MediaTypeHeaderValue.Parse(form.Headers.ContentType!.ToString());
        return form;
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

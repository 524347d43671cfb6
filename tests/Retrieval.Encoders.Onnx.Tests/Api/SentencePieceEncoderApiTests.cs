using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Testing.Onnx;
using Retrieval.Testing.Server;
using static Retrieval.Testing.Tokenizers.SentencePieceModelFile;

namespace Retrieval.Encoders.Onnx.Tests.Api;

/// <summary>A tiny ONNX text encoder registered with a SentencePiece model through the public API, as a user would.</summary>
public sealed class SentencePieceEncoderApiTests(EncoderServerFixture fixture) : IClassFixture<EncoderServerFixture>
{
    private static readonly IReadOnlyList<Piece> Pieces = UnigramPieces();
    private static readonly TinyTextModel Model = new(seed: 23, vocabularySize: Pieces.Count);

    private static int Id(string piece) => IdOf(Pieces, piece);

    private static EncoderDescriptor Descriptor(string name, bool? addBos = null, string queryPrefix = "")
    {
        var descriptor = Descriptors.Text(name, queryPrefix);
        descriptor.Text.Tokenizer = TokenizerKind.Sentencepiece;
        if (addBos is { } bos)
        {
            descriptor.Text.AddBos = bos;
        }

        return descriptor;
    }

    [Fact]
    public async Task Register_ThenEncode_MatchesPlainCSharpOnTheModelsPieces()
    {
        var registered = await fixture.RegisterAsync(Descriptor("sp-encode"), Model.Model(), Unigram());

        var vectors = await fixture.EncodeGrpcAsync("sp-encode", [new EncoderInput { Text = "the cats sat on the mat" }, new EncoderInput { Text = "a bird" }]);

        Assert.Equal(TokenizerKind.Sentencepiece, registered.Descriptor_.Text.Tokenizer);
        Assert.False(registered.Descriptor_.Text.AddBos);
        Assert.True(registered.Descriptor_.Text.AddEos);
        int[] first = [Id(Mark + "the"), Id(Mark + "cat"), Id("s"), Id(Mark + "sat"), Id(Mark + "on"), Id(Mark + "the"), Id(Mark + "mat"), 2];
        VectorAssert.Close(Model.Expected(first), vectors[0]);
        VectorAssert.Close(Model.Expected([Id(Mark + "a"), Id(Mark + "bird"), 2]), vectors[1]);
    }

    [Fact]
    public async Task Encode_BatchWithPadding_EqualsOneByOne_AndQueryPrefixApplies()
    {
        await fixture.RegisterAsync(Descriptor("sp-batch", addBos: true, queryPrefix: "query : "), Model.Model(), Unigram());
        string[] texts = ["the cat", "a red car flew over the house", "dog"];

        var batched = await fixture.EncodeGrpcAsync("sp-batch", texts.Select(t => new EncoderInput { Text = t }));
        var single = await Task.WhenAll(texts.Select(async t => (await fixture.EncodeGrpcAsync("sp-batch", [new EncoderInput { Text = t }]))[0]));
        var query = await fixture.EncodeGrpcAsync("sp-batch", [new EncoderInput { Text = "a cat" }], query: true);

        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(single[i], batched[i], 1e-6f);
        }

        VectorAssert.Close(Model.Expected([1, Id(Mark + "dog"), 2]), batched[2]);
        VectorAssert.Close(Model.Expected([1, Id(Mark + "query"), Id(Mark + ":"), Id(Mark + "a"), Id(Mark + "cat"), 2]), query[0]);
    }

    [Fact]
    public async Task UploadRest_NotASentencePieceModel_Is400NamingVocabulary_AndRegistersNothing()
    {
        var request = new UploadEncoderRequest
        {
            Descriptor_ = Descriptor("sp-bad"),
            Model = ByteString.CopyFrom(Model.Model()),
            Vocabulary = ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        };

        using var response = await fixture.Server.PostJsonAsync("/v1/encoders", JsonFormatter.Default.Format(request));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("vocabulary", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await fixture.Encoders.ListEncodersAsync(new ListEncodersRequest { Name = "sp-bad" })).Encoders);
    }

    [Fact]
    public async Task Register_BosAskedOfAModelWithoutOne_IsInvalidArgumentNamingAddBos()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.RegisterAsync(Descriptor("sp-nobos", addBos: true), Model.Model(), Bpe(withBos: false)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("descriptor.text.add_bos", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_SurvivesRestart_WithItsTokenizerFile()
    {
        var configuration = new ServerConfiguration("sqlite", null);
        float[] before;
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            var client = new Contracts.V1.Encoders.EncodersClient(server.Channel);
            await EncoderServerFixture.RegisterAsync(client, Descriptor("sp-restart"), Model.Model(), Unigram());
            before = await EncodeOne(client);
        }

        Assert.True(File.Exists(Path.Combine(configuration.DataDirectory, "encoders", "sp-restart", "1", "tokenizer.model")));
        configuration.RenewPorts();
        await using (var server = await InProcessServer.StartAsync(configuration))
        {
            var client = new Contracts.V1.Encoders.EncodersClient(server.Channel);
            Assert.Equal(TokenizerKind.Sentencepiece, (await client.GetEncoderAsync(new GetEncoderRequest { Name = "sp-restart" })).Descriptor_.Text.Tokenizer);
            Assert.Equal(before, await EncodeOne(client));
        }
    }

    private static async Task<float[]> EncodeOne(Contracts.V1.Encoders.EncodersClient client) =>
        (await client.EncodeAsync(new EncodeRequest { Name = "sp-restart", Inputs = { new EncoderInput { Text = "the dog sat" } } })).Embeddings[0].Values.ToArray();
}

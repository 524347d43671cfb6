using System.Net;
using Microsoft.ML.Tokenizers;
using Retrieval.Contracts.V1;
using Retrieval.Encoders.Onnx.Preprocessing;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Api;

public sealed class TextEncoderApiTests(EncoderServerFixture fixture) : IClassFixture<EncoderServerFixture>
{
    private static readonly TinyTextModel Model = new();
    private static readonly BertTokenizer Tokenizer = BertTokenizer.Create(new MemoryStream(TinyTextModel.VocabularyBytes));

    private static readonly string[] Texts = ["the cat sat on the mat", "a dog", "birds flew over the house .", "red cars run fast , the blue car played"];

    [Fact]
    public async Task UploadRest_ThenEncode_MatchesPlainCSharp()
    {
        await UploadRestAsync(Descriptors.Text("text-rest"));

        var vectors = await fixture.EncodeRestAsync("text-rest", "[" + string.Join(',', Texts.Select(t => $$"""{"text":"{{t}}"}""")) + "]");

        for (var i = 0; i < Texts.Length; i++)
        {
            var ids = Tokenizer.EncodeToIds(Texts[i]);
            VectorAssert.Close(Model.Expected(ids), vectors[i]);
        }
    }

    [Fact]
    public async Task Encode_BatchWithPadding_EqualsOneByOne()
    {
        await fixture.RegisterAsync(Descriptors.Text("text-batch"), Model.Model(), TinyTextModel.VocabularyBytes);

        var batched = await fixture.EncodeGrpcAsync("text-batch", Texts.Select(t => new EncoderInput { Text = t }));
        var single = await Task.WhenAll(Texts.Select(async t => (await fixture.EncodeGrpcAsync("text-batch", [new EncoderInput { Text = t }]))[0]));

        for (var i = 0; i < Texts.Length; i++)
        {
            VectorAssert.Close(single[i], batched[i], 1e-6f);
            Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(batched[i]), 4);
        }
    }

    [Fact]
    public async Task Encode_Query_PrependsTheQueryPrefix()
    {
        await fixture.RegisterAsync(Descriptors.Text("text-query", queryPrefix: "query : "), Model.Model(), TinyTextModel.VocabularyBytes);

        var asQuery = await fixture.EncodeGrpcAsync("text-query", [new EncoderInput { Text = "a cat" }], query: true);
        var prefixed = await fixture.EncodeGrpcAsync("text-query", [new EncoderInput { Text = "query : a cat" }]);
        var plain = await fixture.EncodeGrpcAsync("text-query", [new EncoderInput { Text = "a cat" }]);

        VectorAssert.Close(prefixed[0], asQuery[0], 1e-6f);
        Assert.NotEqual(plain[0], asQuery[0]);
    }

    [Fact]
    public async Task Encode_LongText_IsTruncatedToMaxSequenceLength()
    {
        await fixture.RegisterAsync(Descriptors.Text("text-long"), Model.Model(), TinyTextModel.VocabularyBytes);
        var words = string.Join(' ', Enumerable.Repeat("the cat sat on the mat", 10));

        var vectors = await fixture.EncodeGrpcAsync("text-long", [new EncoderInput { Text = words }]);

        // 16 tokens: [CLS], 14 words, [SEP] (kept so BERT models see a closed sequence).
        var ids = Tokenizer.EncodeToIds(words).Take(15).Append(Tokenizer.SeparatorTokenId).ToList();
        VectorAssert.Close(Model.Expected(ids), vectors[0]);
    }

    [Fact]
    public void Tokenizer_SmallVocabulary_RoundTrips()
    {
        var tokenizer = WordPieceTextTokenizer.Load(TinyTextModel.VocabularyBytes, new global::Retrieval.Encoders.Onnx.Descriptors.TextSettings()).Tokenizer;
        var ids = tokenizer.EncodeToIds("The dogs played", addSpecialTokens: true, considerPreTokenization: true, considerNormalization: true);

        Assert.Equal([2, 5, 8, 17, 19, 20, 3], ids);
        Assert.Equal("the dogs played", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    private async Task UploadRestAsync(EncoderDescriptor descriptor)
    {
        var request = new UploadEncoderRequest
        {
            Descriptor_ = descriptor,
            Model = Google.Protobuf.ByteString.CopyFrom(Model.Model()),
            Vocabulary = Google.Protobuf.ByteString.CopyFrom(TinyTextModel.VocabularyBytes),
        };
        using var response = await fixture.Server.PostJsonAsync("/v1/encoders", Google.Protobuf.JsonFormatter.Default.Format(request));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;
using Proto = Retrieval.Contracts.V1;

namespace Retrieval.Server.Mapping;

/// <summary>Encoder messages ⇄ the encoder library's types. Proto defaults (0, empty) mean "use the library default".</summary>
internal static class EncoderMapping
{
    public static EncoderDescriptor ToDescriptor(Proto.EncoderDescriptor? d)
    {
        if (d is null)
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor"), "is required");
        }

        return new EncoderDescriptor
        {
            Name = d.Name,
            Version = d.Version,
            Dimension = d.Dimension,
            Metric = d.Metric switch
            {
                Proto.Metric.InnerProduct => Metric.InnerProduct,
                Proto.Metric.L2 => Metric.L2,
                _ => Metric.Cosine,
            },
            Kind = d.Kind == Proto.EncoderKind.Multi ? EncoderKind.Multi : EncoderKind.Dense,
            InputKind = d.InputKind switch
            {
                Proto.InputKind.Text => EncoderInputKind.Text,
                Proto.InputKind.Image => EncoderInputKind.Image,
                Proto.InputKind.Tensor => EncoderInputKind.Tensor,
                _ => throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("input_kind"), "is required: INPUT_KIND_TEXT, INPUT_KIND_IMAGE or INPUT_KIND_TENSOR"),
            },
            InputName = d.InputName,
            OutputName = d.OutputName,
            Pooling = (Pooling)(int)d.Pooling,
            Normalize = d.Normalize,
            MaxBatch = d.MaxBatch > 0 ? d.MaxBatch : 32,
            MaxSequenceLength = d.MaxSequenceLength > 0 ? d.MaxSequenceLength : 128,
            Text = d.Text is null ? new TextSettings() : ToText(d.Text),
            Image = d.Image is null ? new ImageSettings() : ToImage(d.Image),
        };
    }

    private static TextSettings ToText(Proto.TextSettings t)
    {
        var defaults = new TextSettings();
        return new TextSettings
        {
            InputIdsName = t.InputIdsName.Length > 0 ? t.InputIdsName : defaults.InputIdsName,
            AttentionMaskName = t.AttentionMaskName.Length > 0 ? t.AttentionMaskName : defaults.AttentionMaskName,
            TokenTypeIdsName = t.TokenTypeIdsName,
            QueryPrefix = t.QueryPrefix,
            QueryMarker = t.QueryMarker,
            DocumentMarker = t.DocumentMarker,
            LowerCase = !t.HasLowerCase || t.LowerCase,
            Tokenizer = t.Tokenizer switch
            {
                Proto.TokenizerKind.Wordpiece => TokenizerKind.WordPiece,
                Proto.TokenizerKind.Sentencepiece => TokenizerKind.SentencePiece,
                _ => throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("text").Member("tokenizer"), "must be TOKENIZER_KIND_WORDPIECE or TOKENIZER_KIND_SENTENCEPIECE"),
            },
            AddBeginningOfSentence = t.HasAddBos ? t.AddBos : defaults.AddBeginningOfSentence,
            AddEndOfSentence = t.HasAddEos ? t.AddEos : defaults.AddEndOfSentence,
        };
    }

    private static ImageSettings ToImage(Proto.ImageSettings i)
    {
        var defaults = new ImageSettings();
        return new ImageSettings
        {
            Width = i.Width > 0 ? i.Width : defaults.Width,
            Height = i.Height > 0 ? i.Height : defaults.Height,
            ResizeShorterSide = i.HasResizeShorterSide ? i.ResizeShorterSide : defaults.ResizeShorterSide,
            Scale = i.HasScale ? i.Scale : defaults.Scale,
            Mean = i.Mean.Count > 0 ? [.. i.Mean] : defaults.Mean,
            Std = i.Std.Count > 0 ? [.. i.Std] : defaults.Std,
            ChannelOrder = i.ChannelOrder == Proto.ChannelOrder.Bgr ? ChannelOrder.Bgr : ChannelOrder.Rgb,
        };
    }

    public static Proto.Encoder ToProto(EncoderInfo info)
    {
        var d = info.Descriptor;
        var descriptor = new Proto.EncoderDescriptor
        {
            Name = d.Name,
            Version = d.Version,
            Dimension = d.Dimension,
            Metric = d.Metric switch
            {
                Metric.InnerProduct => Proto.Metric.InnerProduct,
                Metric.L2 => Proto.Metric.L2,
                _ => Proto.Metric.Cosine,
            },
            Kind = d.Kind == EncoderKind.Multi ? Proto.EncoderKind.Multi : Proto.EncoderKind.Dense,
            InputKind = (Proto.InputKind)(int)d.InputKind,
            InputName = d.InputName,
            OutputName = d.OutputName,
            Pooling = (Proto.Pooling)(int)d.Pooling,
            Normalize = d.Normalize,
            MaxBatch = d.MaxBatch,
            MaxSequenceLength = d.MaxSequenceLength,
        };
        if (d.InputKind == EncoderInputKind.Text && d.Text is { } t)
        {
            descriptor.Text = new Proto.TextSettings
            {
                InputIdsName = t.InputIdsName,
                AttentionMaskName = t.AttentionMaskName,
                TokenTypeIdsName = t.TokenTypeIdsName,
                QueryPrefix = t.QueryPrefix,
                QueryMarker = t.QueryMarker,
                DocumentMarker = t.DocumentMarker,
                LowerCase = t.LowerCase,
                Tokenizer = t.Tokenizer == TokenizerKind.SentencePiece ? Proto.TokenizerKind.Sentencepiece : Proto.TokenizerKind.Wordpiece,
                AddBos = t.AddBeginningOfSentence,
                AddEos = t.AddEndOfSentence,
            };
        }

        if (d.InputKind == EncoderInputKind.Image && d.Image is { } i)
        {
            descriptor.Image = new Proto.ImageSettings
            {
                Width = i.Width,
                Height = i.Height,
                ResizeShorterSide = i.ResizeShorterSide,
                Scale = i.Scale,
                Mean = { i.Mean },
                Std = { i.Std },
                ChannelOrder = i.ChannelOrder == ChannelOrder.Bgr ? Proto.ChannelOrder.Bgr : Proto.ChannelOrder.Rgb,
            };
        }

        return new Proto.Encoder
        {
            Descriptor_ = descriptor,
            ModelSha256 = info.ModelSha256,
            ModelBytes = info.ModelBytes,
            RegisteredAt = Timestamp.FromDateTimeOffset(info.RegisteredAt),
        };
    }

    public static EncoderInput ToInput(Proto.EncoderInput input, int index) => input.ValueCase switch
    {
        Proto.EncoderInput.ValueOneofCase.Text => new TextInput(input.Text),
        Proto.EncoderInput.ValueOneofCase.Image => new ImageInput(input.Image.Memory),
        Proto.EncoderInput.ValueOneofCase.Tensor => new TensorInput(input.Tensor.Shape, input.Tensor.Values.ToArray()),
        _ => throw RetrievalException.Invalid(FieldPath.Of("inputs").Index(index), "needs one of text, image or tensor"),
    };

    public static Proto.EncodeResponse ToProto(EncoderInfo info, IReadOnlyList<Embedding> embeddings)
    {
        var response = new Proto.EncodeResponse
        {
            Name = info.Descriptor.Name,
            Version = info.Descriptor.Version,
            Dimension = info.Descriptor.Dimension,
        };
        response.Embeddings.Add(embeddings.Select(e => new Proto.Embedding { Values = { e.Values }, Rows = e.Rows }));
        return response;
    }

    public static byte[]? NullIfEmpty(ByteString bytes) => bytes.IsEmpty ? null : bytes.ToByteArray();
}

namespace Retrieval.Encoders.Onnx.Descriptors;

/// <summary>What an encoder produces for one input: one vector (dense) or one vector per token (multi).</summary>
public enum EncoderKind
{
    Dense = 1,
    Multi = 2,
}

/// <summary>What an encoder takes: text (tokenized here), an encoded image (decoded and normalized here), or a raw tensor.</summary>
public enum EncoderInputKind
{
    Text = 1,
    Image = 2,
    Tensor = 3,
}

/// <summary>How token states <c>[batch, tokens, hidden]</c> become one vector; <see cref="None"/> keeps the model's output.</summary>
public enum Pooling
{
    None = 0,
    Cls = 1,
    Mean = 2,
    Max = 3,
}

/// <summary>How a text encoder's tokenizer file is read: a WordPiece vocab.txt or a SentencePiece model (unigram or BPE).</summary>
public enum TokenizerKind
{
    WordPiece = 0,
    SentencePiece = 1,
}

/// <summary>Order of the colour channels in the image tensor the model expects.</summary>
public enum ChannelOrder
{
    Rgb = 1,
    Bgr = 2,
}

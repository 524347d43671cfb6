namespace Retrieval.Encoders.Onnx.Descriptors;

/// <summary>Tokenizer and model-input names of a text encoder (WordPiece/BERT vocabulary or SentencePiece model).</summary>
public sealed record TextSettings
{
    /// <summary>Model input that takes token ids. Default <c>input_ids</c>.</summary>
    public string InputIdsName { get; init; } = "input_ids";

    /// <summary>Model input that takes the attention mask (1 = token, 0 = padding). Default <c>attention_mask</c>.</summary>
    public string AttentionMaskName { get; init; } = "attention_mask";

    /// <summary>Model input that takes token type ids (all zero for one sequence); empty when the model has none.</summary>
    public string TokenTypeIdsName { get; init; } = "";

    /// <summary>Prepended to query texts (e.g. Arctic's "Represent this sentence for searching relevant passages: ").</summary>
    public string QueryPrefix { get; init; } = "";

    /// <summary>
    /// WordPiece: a vocabulary token put right after [CLS] of every query (ColBERT's [Q], often "[unused0]"); empty
    /// (default) for none. It takes one of <see cref="EncoderDescriptor.MaxSequenceLength"/>'s tokens.
    /// </summary>
    public string QueryMarker { get; init; } = "";

    /// <summary>WordPiece: as <see cref="QueryMarker"/>, for every text that is not a query (ColBERT's [D], often "[unused1]").</summary>
    public string DocumentMarker { get; init; } = "";

    /// <summary>Lower-case before WordPiece (uncased vocabularies). Default true. SentencePiece models normalize themselves.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>How the uploaded tokenizer file is read. Default WordPiece (encoders registered before SentencePiece existed).</summary>
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.WordPiece;

    /// <summary>SentencePiece: start each text with the model's beginning-of-sentence piece. Default false (T5-style encoders).</summary>
    public bool AddBeginningOfSentence { get; init; }

    /// <summary>SentencePiece: end each text with the model's end-of-sentence piece, kept when truncating. Default true.</summary>
    public bool AddEndOfSentence { get; init; } = true;
}

using System.Text.RegularExpressions;
using Retrieval.Core.Errors;

namespace Retrieval.Encoders.Onnx.Descriptors;

/// <summary>Checks a descriptor on its own (before the model is looked at). Names become directory names, hence the strict patterns.</summary>
public static partial class EncoderDescriptorValidator
{
    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VersionPattern();

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("name"), "must match [a-z0-9_-]{1,64}");
        }
    }

    public static void ValidateVersion(string version)
    {
        if (!VersionPattern().IsMatch(version) || version.Contains("..", StringComparison.Ordinal))
        {
            throw RetrievalException.Invalid(FieldPath.Of("descriptor").Member("version"), "must match [A-Za-z0-9._-]{1,64} and not start with '.'");
        }
    }

    public static void Validate(EncoderDescriptor d, bool hasVocabulary)
    {
        ArgumentNullException.ThrowIfNull(d);
        ValidateName(d.Name);
        ValidateVersion(d.Version);
        Require(d.Dimension is >= 1 and <= 65536, FieldPath.Of("descriptor").Member("dimension"), "must be in 1..65536");
        Require(Enum.IsDefined(d.Metric), FieldPath.Of("descriptor").Member("metric"), "must be set");
        Require(Enum.IsDefined(d.Kind), FieldPath.Of("descriptor").Member("kind"), "must be dense or multi");
        Require(Enum.IsDefined(d.InputKind), FieldPath.Of("descriptor").Member("input_kind"), "must be text, image or tensor");
        Require(Enum.IsDefined(d.Pooling), FieldPath.Of("descriptor").Member("pooling"), "must be none, cls, mean or max");
        Require(!string.IsNullOrEmpty(d.OutputName), FieldPath.Of("descriptor").Member("output_name"), "must be set");
        Require(d.MaxBatch is >= 1 and <= 4096, FieldPath.Of("descriptor").Member("max_batch"), "must be in 1..4096");
        Require(d.Kind == EncoderKind.Dense || d.Pooling == Pooling.None, FieldPath.Of("descriptor").Member("pooling"), "a multi-vector encoder keeps token vectors: pooling must be none");
        // Pooling and token vectors need the attention mask, which only text inputs have.
        Require(d.InputKind == EncoderInputKind.Text || (d.Pooling == Pooling.None && d.Kind == EncoderKind.Dense), FieldPath.Of("descriptor").Member("pooling"),
            "pooling and multi-vector output need token states of a text encoder; image and tensor encoders use pooling none");
        switch (d.InputKind)
        {
            case EncoderInputKind.Text:
                var text = d.Text ?? new TextSettings();
                Require(Enum.IsDefined(text.Tokenizer), FieldPath.Of("descriptor").Member("text").Member("tokenizer"), "must be wordpiece or sentencepiece");
                Require(hasVocabulary, FieldPath.Of("vocabulary"), text.Tokenizer == TokenizerKind.SentencePiece
                    ? "a SentencePiece text encoder needs its tokenizer model (the .model file)"
                    : "a text encoder needs its WordPiece vocabulary (vocab.txt)");
                Require(d.MaxSequenceLength is >= 3 and <= 8192, FieldPath.Of("descriptor").Member("max_sequence_length"), "must be in 3..8192");
                break;
            case EncoderInputKind.Image:
                Require(!string.IsNullOrEmpty(d.InputName), FieldPath.Of("descriptor").Member("input_name"), "must be set for an image encoder");
                ValidateImage(d.Image ?? new ImageSettings());
                break;
            default:
                Require(!string.IsNullOrEmpty(d.InputName), FieldPath.Of("descriptor").Member("input_name"), "must be set for a tensor encoder");
                break;
        }
    }

    private static void ValidateImage(ImageSettings image)
    {
        Require(image.Width is >= 1 and <= 4096 && image.Height is >= 1 and <= 4096, FieldPath.Of("descriptor").Member("image"), "width and height must be in 1..4096");
        Require(image.ResizeShorterSide is >= 0 and <= 8192, FieldPath.Of("descriptor").Member("image").Member("resize_shorter_side"), "must be in 0..8192");
        Require(image.ResizeShorterSide == 0 || image.ResizeShorterSide >= Math.Max(image.Width, image.Height), FieldPath.Of("descriptor").Member("image").Member("resize_shorter_side"), "must be 0 or at least the crop size");
        Require(image.Mean.Count == 3 && image.Std.Count == 3, FieldPath.Of("descriptor").Member("image"), "mean and std need 3 values each");
        Require(image.Std.All(s => s > 0 && float.IsFinite(s)), FieldPath.Of("descriptor").Member("image").Member("std"), "must be positive");
        Require(float.IsFinite(image.Scale) && image.Scale > 0, FieldPath.Of("descriptor").Member("image").Member("scale"), "must be positive");
    }

    private static void Require(bool condition, FieldPath field, string message)
    {
        if (!condition)
        {
            throw RetrievalException.Invalid(field, message);
        }
    }
}

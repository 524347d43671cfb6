using System.Numerics.Tensors;
using Retrieval.Core.MultiVector;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// The "drop low-information tokens" pruning evaluated by the muvera suite: contextual models put the tokens that
/// carry little of an item's meaning (special tokens, punctuation, stop words) close to the corpus's mean token, so an
/// item keeps the ⌈keep·n⌉ tokens least similar to that mean (at least one), in their original order.
/// </summary>
internal static class LowInformationTokens
{
    public static TokenMatrix Drop(TokenMatrix tokens, ReadOnlySpan<float> corpusMean, double keep)
    {
        var target = Math.Clamp((int)Math.Ceiling(keep * tokens.Count), 1, tokens.Count);
        if (target == tokens.Count)
        {
            return tokens;
        }

        var similarity = new float[tokens.Count];
        for (var t = 0; t < tokens.Count; t++)
        {
            similarity[t] = TensorPrimitives.CosineSimilarity(tokens.Row(t), corpusMean);
        }

        var kept = Enumerable.Range(0, tokens.Count).OrderBy(t => similarity[t]).Take(target).Order().ToArray();
        var d = tokens.Dimension;
        var values = new float[target * d];
        for (var i = 0; i < kept.Length; i++)
        {
            tokens.Row(kept[i]).CopyTo(values.AsSpan(i * d, d));
        }

        return TokenMatrix.FromRowMajor(values, d);
    }
}

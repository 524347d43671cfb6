namespace Retrieval.Encoders.Onnx.Preprocessing;

/// <summary>
/// The English function words <see cref="Retrieval.Core.MultiVector.TokenDrop.StopWords"/> drops: articles,
/// prepositions, conjunctions, pronouns, determiners and auxiliary verbs. They glue a text together and, in Chamfer
/// (MaxSim), match every text alike. The list is fixed (a space's stored tokens depend on it): change it only with a
/// new drop flag.
/// </summary>
public static class EnglishStopWords
{
    private static readonly HashSet<string> Words = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "into", "onto", "upon",
        "about", "above", "below", "over", "under", "between", "among", "through", "during", "before", "after", "against",
        "within", "along", "across", "behind", "beyond", "near", "off", "out", "up", "down", "via", "per",
        "and", "or", "but", "nor", "so", "yet", "if", "then", "than", "as", "because", "while", "whereas", "although",
        "though", "unless", "until", "whether", "when", "where", "which", "who", "whom", "whose", "what", "that", "this",
        "these", "those", "there", "here", "it", "its", "itself", "he", "him", "his", "she", "her", "hers", "they", "them",
        "their", "theirs", "we", "us", "our", "you", "your", "i", "me", "my", "one", "ones", "someone", "something",
        "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having", "do", "does", "did",
        "can", "could", "may", "might", "must", "shall", "should", "will", "would", "not", "no", "also", "such", "very",
        "more", "most", "some", "any", "each", "every", "all", "both", "either", "neither", "other", "another", "same",
        "own", "only", "just", "too", "how", "why", "s",
    };

    /// <summary>How many words the list holds.</summary>
    public static int Count => Words.Count;

    /// <summary>Whether <paramref name="word"/> (a token's text without word marks) is on the list, ignoring case.</summary>
    public static bool Contains(string word) => Words.Contains(word);
}

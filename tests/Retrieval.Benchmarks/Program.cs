namespace Retrieval.Benchmarks;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "store-ingest")
        {
            return await StoreIngestBenchmark.RunAsync(args[1..]);
        }

        await Console.Error.WriteLineAsync("usage: Retrieval.Benchmarks <suite> [options]  (suites: store-ingest)");
        return args.Length == 0 ? 2 : 0;
    }
}

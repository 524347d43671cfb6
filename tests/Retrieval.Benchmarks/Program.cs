using Retrieval.Benchmarks.Exact;

namespace Retrieval.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "exact":
                return ExactSuite.Run(ExactBenchOptions.Parse(args[1..]));
            default:
                Console.Error.WriteLine("usage: Retrieval.Benchmarks exact [--n 100000,1000000] [--dim 128,768] [--k 10] [--batch 1000] [--threads N] [--trials 5] [--batch-trials 3] [--no-peer] [--data-dir DIR]");
                return 2;
        }
    }
}

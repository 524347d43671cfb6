namespace Retrieval.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: Retrieval.Benchmarks <suite> [options]");
        return args.Length == 0 ? 2 : 0;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Retrieval.Benchmarks.Ann;

/// <summary>Reads the points an <c>ann</c> run printed (one line each), so runs can be combined into one table and plot.</summary>
internal static partial class AnnLog
{
    public static IEnumerable<AnnPoint> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            var match = PointLine().Match(line);
            if (match.Success)
            {
                yield return new AnnPoint(
                    match.Groups["data"].Value,
                    match.Groups["index"].Value,
                    match.Groups["engine"].Value,
                    int.Parse(match.Groups["param"].Value, CultureInfo.InvariantCulture),
                    double.Parse(match.Groups["recall"].Value, CultureInfo.InvariantCulture),
                    double.Parse(match.Groups["qps"].Value, CultureInfo.InvariantCulture));
            }
        }
    }

    [GeneratedRegex(@"^(?<data>.+?) (?<index>(?:HNSW|IVF)\S*) (?<engine>ours \(.+?\)|python3-faiss) param=(?<param>\d+) recall=(?<recall>[\d.]+) qps=(?<qps>\d+)$")]
    private static partial Regex PointLine();
}

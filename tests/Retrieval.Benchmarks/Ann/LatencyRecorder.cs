namespace Retrieval.Benchmarks.Ann;

/// <summary>Latencies of one load run, and their percentiles.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double> _milliseconds = [];

    public void Add(double milliseconds)
    {
        lock (_milliseconds)
        {
            _milliseconds.Add(milliseconds);
        }
    }

    public int Count => _milliseconds.Count;

    public double Percentile(double p)
    {
        lock (_milliseconds)
        {
            if (_milliseconds.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _milliseconds.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }
}

namespace Retrieval.Benchmarks.Faiss;

/// <summary>One point of a recall/QPS curve.</summary>
internal readonly record struct HnswMeasurement(string Engine, string Mode, int Ef, double Recall, double Qps)
{
    public override string ToString() => $"{Engine,-22} {Mode,-14} ef={Ef,4}  recall@10={Recall:F4}  QPS={Qps,10:F0}";
}

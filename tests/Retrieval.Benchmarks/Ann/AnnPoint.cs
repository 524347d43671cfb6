namespace Retrieval.Benchmarks.Ann;

/// <summary>One measured point of a recall/QPS curve.</summary>
internal sealed record AnnPoint(string Dataset, string Index, string Engine, int Parameter, double Recall, double Qps);

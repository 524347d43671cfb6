using Retrieval.Engine.Indexes;

namespace Retrieval.Engine.Segments;

/// <summary>How one search treats sealed segments.</summary>
/// <param name="Parameters">efSearch / nprobe of the request (0: configured default).</param>
/// <param name="Exact">Scan every segment exactly, ignoring indexes (the request's <c>exact</c> override).</param>
/// <param name="FilteredExactFraction">See <see cref="IndexingOptions.FilteredExactFraction"/>.</param>
/// <param name="RefineFactor">See <see cref="IndexingOptions.RefineFactor"/>.</param>
internal readonly record struct SegmentSearchSettings(IndexSearchParameters Parameters, bool Exact, double FilteredExactFraction, int RefineFactor);

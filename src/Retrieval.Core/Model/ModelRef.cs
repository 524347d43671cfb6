namespace Retrieval.Core.Model;

/// <summary>The embedding model (and its version) that produces a space's vectors.</summary>
public sealed record ModelRef(string Name, string Version);

namespace Retrieval.Storage.Conformance;

/// <summary>Thrown by test doubles to fail a store operation on purpose.</summary>
public sealed class InjectedFailureException(string message) : Exception(message);

namespace Retrieval.Core.Storage;

/// <summary>The store's schema is missing or older than this build expects.</summary>
public sealed class StoreSchemaException(string message) : Exception(message);

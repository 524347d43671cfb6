using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// What a store's test project provides to the conformance suite: one backing database per test class
/// (the class fixture), and a factory that opens a fresh <see cref="IRetrievalStore"/> over it. Every call
/// sees the same data, which is how the suite closes and reopens a store.
/// </summary>
public interface IStoreFixture
{
    Task<IRetrievalStore> OpenStoreAsync(CancellationToken cancellationToken);
}

using System.Collections;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// An upsert list that throws when the store reaches item <c>failAt</c>: a deterministic failure in the middle
/// of a write transaction, after earlier rows were already sent to the database.
/// </summary>
public sealed class FailingUpserts(IReadOnlyList<ItemWrite> items, int failAt) : IReadOnlyList<ItemWrite>
{
    public int Count => items.Count;

    public ItemWrite this[int index] =>
        index == failAt ? throw new InjectedFailureException($"injected failure at upsert {index}") : items[index];

    public IEnumerator<ItemWrite> GetEnumerator()
    {
        for (var i = 0; i < items.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace Retrieval.Core.Storage;

/// <summary>
/// The store's raw-input role: the original inputs (text, image bytes) kept for collections that re-encode on a model
/// upgrade. Inputs are written by <see cref="IItemStore.WriteAsync"/> (<see cref="ItemWrite.RawInputs"/>) and removed with
/// their item, space or collection; this role only reads them.
/// </summary>
public interface IRawInputStore
{
    /// <summary>
    /// The raw inputs stored for the given ids: in one space, or every space when <paramref name="space"/> is null. Ids
    /// without a stored input are left out; order is unspecified. NotFound when the collection is unknown.
    /// </summary>
    Task<IReadOnlyList<StoredRawInput>> GetRawInputsAsync(string collection, IReadOnlyList<string> ids, string? space, CancellationToken cancellationToken);
}

namespace Retrieval.Engine;

public sealed partial class RetrievalEngine
{
    /// <summary>
    /// The MUVERA document encoding an item is indexed under in a multi-vector space, or null when the item has no
    /// multi-vector there. For diagnostics and the restart tests: encodings are derived state, rebuilt at start-up, and
    /// must come back bit for bit.
    /// </summary>
    public float[]? GetMultiVectorEncoding(string collection, string space, string id)
    {
        var state = GetState(collection);
        return Read(state, s => s.MultiVectorSpaces.TryGetValue(space, out var multi) && s.Items.TryGetSlot(id, out var slot)
            ? multi.Fdes.GetVector(slot)
            : null);
    }
}

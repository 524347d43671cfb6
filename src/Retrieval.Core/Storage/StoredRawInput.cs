namespace Retrieval.Core.Storage;

/// <summary>The raw input an item was last encoded from in one space, as the store of record keeps it.</summary>
public sealed record StoredRawInput(string ItemId, string Space, RawInput Input);

namespace Retrieval.Core.Storage;

/// <summary>An alias: another name that resolves to <see cref="Collection"/> wherever a collection is named.</summary>
public sealed record StoredAlias(string Alias, string Collection);

/// <summary>
/// The store-of-record role that keeps collection aliases. The engine decides what a change may do (names, targets,
/// collisions); the store applies a whole change in one transaction, so that readers after a restart see all of it or
/// none of it.
/// </summary>
public interface IAliasStore
{
    /// <summary>Every alias, ordered by alias name (ordinal).</summary>
    Task<IReadOnlyList<StoredAlias>> ListAliasesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: deletes the aliases named in <paramref name="removed"/> (unknown ones are ignored), then
    /// inserts or repoints every alias of <paramref name="upserted"/>.
    /// </summary>
    Task ApplyAliasChangesAsync(IReadOnlyList<string> removed, IReadOnlyList<StoredAlias> upserted, CancellationToken cancellationToken);
}

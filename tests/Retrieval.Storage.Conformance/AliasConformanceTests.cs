using Retrieval.Core.Storage;

namespace Retrieval.Storage.Conformance;

/// <summary>The alias role: a change applies removals and sets in one transaction, survives a reopen, lists by name.</summary>
public abstract class AliasConformanceTests<TFixture>(TFixture fixture) : StoreTestBase<TFixture>(fixture)
    where TFixture : class, IStoreFixture
{
    private IAliasStore Aliases => Store;

    [StoreFact]
    public async Task ApplyAliasChanges_SetsRepointsAndRemoves_AndSurvivesReopen()
    {
        await Aliases.ApplyAliasChangesAsync([], [new StoredAlias("s-prod", "blue"), new StoredAlias("s-b-old", "blue"), new StoredAlias("s-a-new", "green")], Ct);
        Assert.Equal(
            [new StoredAlias("s-a-new", "green"), new StoredAlias("s-b-old", "blue"), new StoredAlias("s-prod", "blue")],
            await ListAsync("s-"));

        // One change: a removal, a repoint (the blue/green switch) and an unknown removal, which is ignored.
        await Aliases.ApplyAliasChangesAsync(["s-b-old", "never-was"], [new StoredAlias("s-prod", "green")], Ct);
        await ReopenAsync();

        Assert.Equal([new StoredAlias("s-a-new", "green"), new StoredAlias("s-prod", "green")], await ListAsync("s-"));
    }

    [StoreFact]
    public async Task ApplyAliasChanges_Empty_ChangesNothing()
    {
        await Aliases.ApplyAliasChangesAsync([], [new StoredAlias("e-only", "c")], Ct);
        await Aliases.ApplyAliasChangesAsync([], [], Ct);
        Assert.Equal([new StoredAlias("e-only", "c")], await ListAsync("e-"));
    }

    // Each test uses its own prefix: the suite's tests share one database.
    private async Task<List<StoredAlias>> ListAsync(string prefix) =>
        [.. (await Aliases.ListAliasesAsync(Ct)).Where(a => a.Alias.StartsWith(prefix, StringComparison.Ordinal))];
}

namespace Retrieval.Engine;

/// <summary>What an <see cref="AliasAction"/> does.</summary>
public enum AliasActionKind
{
    /// <summary>Creates a new alias of a collection.</summary>
    Create,

    /// <summary>Deletes an alias (the collection stays).</summary>
    Delete,

    /// <summary>Points an existing alias at another collection (blue/green re-indexing).</summary>
    Switch,
}

/// <summary>
/// One step of an alias change. <see cref="Collection"/> is the target of <see cref="AliasActionKind.Create"/> and
/// <see cref="AliasActionKind.Switch"/>, and unused by <see cref="AliasActionKind.Delete"/>.
/// </summary>
public sealed record AliasAction(AliasActionKind Kind, string Alias, string? Collection = null);

/// <summary>An alias and the collection it resolves to.</summary>
public sealed record AliasInfo(string Alias, string Collection);

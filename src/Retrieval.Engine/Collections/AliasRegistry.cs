using System.Collections.Frozen;
using Retrieval.Core.Errors;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Collections;

/// <summary>
/// Collection aliases in memory: alias → collection, replaced as a whole (one reference swap) when a change commits, so
/// that a reader resolves every name against either the aliases before a change or those after it, never a mix. The
/// catalog owns it and serializes changes under its gate.
/// </summary>
internal sealed class AliasRegistry
{
    /// <summary>Most actions in one alias change.</summary>
    public const int MaxActions = 100;

    private volatile FrozenDictionary<string, string> _targets = FrozenDictionary<string, string>.Empty;

    public async Task LoadAsync(IAliasStore store, CancellationToken cancellationToken)
    {
        var stored = await store.ListAliasesAsync(cancellationToken);
        _targets = stored.ToFrozenDictionary(a => a.Alias, a => a.Collection, StringComparer.Ordinal);
    }

    /// <summary>The collection <paramref name="alias"/> points to, when it is an alias.</summary>
    public bool TryResolve(string alias, out string collection) => _targets.TryGetValue(alias, out collection!);

    public bool Contains(string alias) => _targets.ContainsKey(alias);

    /// <summary>Every alias, ordered by name.</summary>
    public IReadOnlyList<AliasInfo> All =>
        [.. _targets.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new AliasInfo(p.Key, p.Value))];

    /// <summary>The aliases of one collection, ordered by name.</summary>
    public IReadOnlyList<string> Of(string collection) =>
        [.. _targets.Where(p => p.Value == collection).Select(p => p.Key).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Checks <paramref name="actions"/> in order against the current aliases and <paramref name="isCollection"/>, and
    /// returns what the store must change and the aliases after the change. Throws (naming <c>actions[i]</c>) at the
    /// first action that cannot apply; nothing is changed then.
    /// </summary>
    public AliasChange Plan(IReadOnlyList<AliasAction> actions, Func<string, bool> isCollection)
    {
        var field = FieldPath.Of("actions");
        if (actions.Count is 0 or > MaxActions)
        {
            throw RetrievalException.Invalid(field, $"must hold between 1 and {MaxActions} actions");
        }

        var next = new Dictionary<string, string>(_targets, StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var at = field.Index(i).Member(Member(action.Kind));
            if (action.Kind != AliasActionKind.Create && !next.ContainsKey(action.Alias))
            {
                throw RetrievalException.NotFound($"{at.Member("alias")}: alias '{action.Alias}' not found");
            }

            switch (action.Kind)
            {
                case AliasActionKind.Create:
                    Names.ValidateName(action.Alias, at.Member("alias"));
                    if (isCollection(action.Alias))
                    {
                        throw RetrievalException.AlreadyExists($"{at.Member("alias")}: '{action.Alias}' is a collection; alias names must not collide with collection names");
                    }

                    if (next.ContainsKey(action.Alias))
                    {
                        throw RetrievalException.AlreadyExists($"{at.Member("alias")}: alias '{action.Alias}' already exists; switch it instead");
                    }

                    next[action.Alias] = Target(action, at, isCollection, next);
                    break;
                case AliasActionKind.Switch:
                    next[action.Alias] = Target(action, at, isCollection, next);
                    break;
                default:
                    next.Remove(action.Alias);
                    break;
            }
        }

        var removed = _targets.Keys.Where(alias => !next.ContainsKey(alias)).Order(StringComparer.Ordinal).ToList();
        var set = next.Where(p => !_targets.TryGetValue(p.Key, out var before) || before != p.Value)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new StoredAlias(p.Key, p.Value))
            .ToList();
        return new AliasChange(removed, set, next.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Makes a committed change visible to readers, all at once.</summary>
    public void Commit(AliasChange change) => _targets = change.After;

    private static string Target(AliasAction action, FieldPath at, Func<string, bool> isCollection, Dictionary<string, string> aliases)
    {
        var field = at.Member("collection");
        if (string.IsNullOrEmpty(action.Collection))
        {
            throw RetrievalException.Invalid(field, "is required");
        }

        if (aliases.ContainsKey(action.Collection))
        {
            throw RetrievalException.Invalid(field, $"'{action.Collection}' is an alias; an alias points to a collection");
        }

        return isCollection(action.Collection)
            ? action.Collection
            : throw RetrievalException.NotFound($"{field}: collection '{action.Collection}' not found");
    }

    private static string Member(AliasActionKind kind) => kind switch
    {
        AliasActionKind.Create => "create",
        AliasActionKind.Delete => "delete",
        _ => "switch",
    };
}

/// <summary>An alias change checked by <see cref="AliasRegistry.Plan"/>: the store's part, and the aliases after it.</summary>
internal sealed record AliasChange(IReadOnlyList<string> Removed, IReadOnlyList<StoredAlias> Set, FrozenDictionary<string, string> After);

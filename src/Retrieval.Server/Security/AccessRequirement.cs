using Google.Protobuf.Reflection;
using Retrieval.Core.Security;

namespace Retrieval.Server.Security;

/// <summary>How a call's collection is found and checked against the caller's collection patterns.</summary>
public enum CollectionBinding
{
    /// <summary>The request names one collection in a field; the caller's patterns must allow it.</summary>
    Field,

    /// <summary>Not about one collection but about all (encoder registry, keys, metrics): only keys valid for every collection.</summary>
    Global,

    /// <summary>Touches no collection data (encoding, reflection): any key with the scope.</summary>
    Any,

    /// <summary>Lists collections: any key with the scope, and the answer shows only the collections its patterns allow.</summary>
    Listing,
}

/// <summary>
/// The access rule of one endpoint, attached as endpoint metadata: the scope it needs and how its collection is checked.
/// An endpoint without one (and without <c>AllowAnonymous</c>) is refused to everyone: closed by default.
/// </summary>
public sealed class AccessRequirement
{
    private AccessRequirement(string action, ApiKeyScope scope, CollectionBinding binding, FieldDescriptor? collectionField, FieldDescriptor? actorField)
    {
        Action = action;
        Scope = scope;
        Binding = binding;
        CollectionField = collectionField;
        ActorField = actorField;
        Mutates = scope > ApiKeyScope.Read;
    }

    /// <summary>What audit events call the operation (<c>Items/UpsertItems</c>, <c>GET /metrics</c>).</summary>
    public string Action { get; }

    public ApiKeyScope Scope { get; }

    public CollectionBinding Binding { get; }

    /// <summary>The request field naming the collection (<see cref="CollectionBinding.Field"/> only).</summary>
    public FieldDescriptor? CollectionField { get; }

    /// <summary>The request's <c>actor</c> field (migration requests), which the server fills from the caller.</summary>
    public FieldDescriptor? ActorField { get; }

    /// <summary>Write and admin operations: every one is audited.</summary>
    public bool Mutates { get; }

    public static AccessRequirement ForField(string action, ApiKeyScope scope, FieldDescriptor collectionField, FieldDescriptor? actorField) =>
        new(action, scope, CollectionBinding.Field, collectionField, actorField);

    public static AccessRequirement For(string action, ApiKeyScope scope, CollectionBinding binding) =>
        binding == CollectionBinding.Field
            ? throw new ArgumentException("a field-bound rule needs its field", nameof(binding))
            : new(action, scope, binding, null, null);

    public override string ToString() => $"{Action}: {ApiKeyScopes.Name(Scope)}, {Binding}{(CollectionField is null ? "" : $" ({CollectionField.Name})")}";
}

using Retrieval.Core.Security;

namespace Retrieval.Server.Security;

/// <summary>Who is calling and what they may do: resolved from a key or a client certificate once per call.</summary>
/// <param name="KeyId">The key's public id, <c>cert:&lt;thumbprint prefix&gt;</c> for a certificate, or <c>auth-disabled</c>.</param>
/// <param name="Name">The key's label (may be empty).</param>
/// <param name="Scope">What the caller may do.</param>
/// <param name="Collections">Which collections the caller may touch.</param>
public sealed record CallerIdentity(string KeyId, string Name, ApiKeyScope Scope, CollectionPatterns Collections)
{
    /// <summary>The caller when authentication is off: everything is allowed, and audit events say so.</summary>
    public static readonly CallerIdentity AuthDisabled = new("auth-disabled", "", ApiKeyScope.Admin, CollectionPatterns.All);

    /// <summary>How audit events and migration records name the caller: <c>name (id)</c>, or the id alone.</summary>
    public string Label { get; } = Name.Length > 0 ? $"{Name} ({KeyId})" : KeyId;

    public bool Has(ApiKeyScope required) => Scope >= required;
}

namespace Retrieval.Core.Security;

/// <summary>
/// What an API key may do. Scopes are ordered: each includes the ones below it (admin ⊃ write ⊃ read), so a
/// requirement is met by any scope at least as high. The numeric values are stored; do not renumber.
/// </summary>
public enum ApiKeyScope
{
    /// <summary>Search, get, scroll, count, list and status reads.</summary>
    Read = 1,

    /// <summary>Read, plus upsert, delete and backfill.</summary>
    Write = 2,

    /// <summary>Everything: collections, spaces, indexes, maps, migrations, encoders and keys.</summary>
    Admin = 3,
}

/// <summary>The lower-case names the CLI, the API and the configuration use for <see cref="ApiKeyScope"/>.</summary>
public static class ApiKeyScopes
{
    public static string Name(ApiKeyScope scope) => scope switch
    {
        ApiKeyScope.Read => "read",
        ApiKeyScope.Write => "write",
        ApiKeyScope.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "unknown scope"),
    };

    /// <summary>Parses <c>read</c>, <c>write</c> or <c>admin</c> (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? text, out ApiKeyScope scope)
    {
        scope = text?.ToUpperInvariant() switch
        {
            "READ" => ApiKeyScope.Read,
            "WRITE" => ApiKeyScope.Write,
            "ADMIN" => ApiKeyScope.Admin,
            _ => 0,
        };
        return scope != 0;
    }
}

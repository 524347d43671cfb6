using Retrieval.Contracts.V1;
using Spectre.Console;

namespace Retrieval.Cli.Commands.Keys;

/// <summary>How the CLI prints keys: a table row per key, and the secret of a new key once, with a warning.</summary>
internal static class KeyView
{
    public static string Scope(KeyScope scope) => scope switch
    {
        KeyScope.Read => "read",
        KeyScope.Write => "write",
        KeyScope.Admin => "admin",
        _ => "?",
    };

    public static void PrintCreated(string id, string secret)
    {
        AnsiConsole.MarkupLineInterpolated($"created key [bold]{id}[/]; its secret is shown only now:");
        AnsiConsole.WriteLine(secret);
    }

    public static Table Table(IEnumerable<ApiKey> keys)
    {
        var table = new Table().AddColumns("id", "name", "scope", "collections", "created", "expires", "revoked", "active");
        foreach (var key in keys)
        {
            table.AddRow(
                key.Id,
                Markup.Escape(key.Name),
                Scope(key.Scope),
                Markup.Escape(key.Collections.Count == 0 ? "*" : string.Join(',', key.Collections)),
                key.CreatedAt.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                key.ExpiresAt is null ? "never" : key.ExpiresAt.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                key.RevokedAt is null ? "" : key.RevokedAt.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                key.Active ? "yes" : "no");
        }

        return table;
    }
}

using System.Net;
using Microsoft.Extensions.Options;

namespace Retrieval.Server.Security;

/// <summary>
/// Refuses to start with authentication disabled on an address other hosts can reach (anything but loopback), unless
/// <see cref="AuthOptions.AllowInsecure"/> says the operator means it. Reads the configured listen addresses (Kestrel
/// endpoints, <c>urls</c>, <c>http_ports</c>/<c>https_ports</c>) before Kestrel binds any of them.
/// </summary>
internal sealed class ListenAddressCheck(IConfiguration configuration) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Enabled || options.AllowInsecure)
        {
            return ValidateOptionsResult.Success;
        }

        var exposed = ListenUrls().Where(url => !IsLoopback(url)).ToList();
        return exposed.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Retrieval:Auth:Mode is 'disabled' but the server would listen on {string.Join(", ", exposed)}, which is not loopback: "
                + "turn authentication on, listen on 127.0.0.1 only, or set Retrieval:Auth:AllowInsecure=true (docs/security.md)");
    }

    private IEnumerable<string> ListenUrls()
    {
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                yield return url;
            }
        }

        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return url;
        }

        foreach (var key in new[] { "http_ports", "https_ports" })
        {
            foreach (var port in (configuration[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Kestrel binds these ports on every interface.
                yield return $"http://*:{port}";
            }
        }
    }

    internal static bool IsLoopback(string url)
    {
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}

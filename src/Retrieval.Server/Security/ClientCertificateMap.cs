using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Retrieval.Core.Security;

namespace Retrieval.Server.Security;

/// <summary>
/// Mutual TLS: which client certificates stand in for a key, by SHA-256 thumbprint or subject
/// (<see cref="AuthOptions.ClientCertificateOptions.Map"/>). The chain itself is validated by ASP.NET Core's certificate
/// authentication against the configured CA before a certificate is looked up here.
/// </summary>
internal sealed class ClientCertificateMap
{
    private readonly Dictionary<string, CallerIdentity> _byThumbprint = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CallerIdentity> _bySubject = new(StringComparer.Ordinal);

    public ClientCertificateMap(IOptions<AuthOptions> options)
    {
        foreach (var rule in options.Value.ClientCertificates.Map)
        {
            if (!ApiKeyScopes.TryParse(rule.Scope, out var scope))
            {
                throw new OptionsValidationException(AuthOptions.SectionName, typeof(AuthOptions), [$"Retrieval:Auth:ClientCertificates:Map: scope '{rule.Scope}' is not read, write or admin"]);
            }

            var id = rule.Thumbprint is { Length: > 0 } t ? $"cert:{t[..Math.Min(12, t.Length)].ToLowerInvariant()}" : $"cert:{rule.Subject}";
            var caller = new CallerIdentity(id, rule.Name, scope, CollectionPatterns.Parse(rule.Collections));
            if (rule.Thumbprint is { Length: > 0 } thumbprint)
            {
                _byThumbprint[thumbprint.Replace(":", "", StringComparison.Ordinal)] = caller;
            }
            else if (rule.Subject is { Length: > 0 } subject)
            {
                _bySubject[subject] = caller;
            }
        }
    }

    public bool IsEmpty => _byThumbprint.Count == 0 && _bySubject.Count == 0;

    /// <summary>The caller a validated certificate maps to, or null when no rule names it.</summary>
    public CallerIdentity? Find(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _byThumbprint.GetValueOrDefault(certificate.GetCertHashString(HashAlgorithmName.SHA256))
            ?? _bySubject.GetValueOrDefault(certificate.Subject);
    }
}

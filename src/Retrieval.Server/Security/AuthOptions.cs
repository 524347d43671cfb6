namespace Retrieval.Server.Security;

/// <summary>Authentication, authorization and per-key limits, bound from <c>Retrieval:Auth</c> (environment: <c>Retrieval__Auth__*</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Retrieval:Auth";

    /// <summary>
    /// <c>enabled</c> (default): every call but health needs a key. <c>disabled</c>: no checks, a warning at start, and
    /// the server refuses to start on a non-loopback address unless <see cref="AllowInsecure"/>.
    /// </summary>
    public string Mode { get; set; } = "enabled";

    /// <summary>Allows <c>Mode=disabled</c> on non-loopback addresses. Default false.</summary>
    public bool AllowInsecure { get; set; }

    /// <summary>
    /// A file holding an admin key (<c>rtv_&lt;id&gt;_&lt;secret&gt;</c>, valid for every collection) that works without being
    /// in the store: the way in before any key exists. Created with a new random key (mode 0600) when missing. Default none.
    /// </summary>
    public string? BootstrapKeyFile { get; set; }

    /// <summary>How often the in-memory key cache re-reads the store (keys created or revoked by other servers), in seconds. Default 5.</summary>
    public int RefreshSeconds { get; set; } = 5;

    /// <summary>Requests per second per key (a token bucket holding one second's worth). Default 0: no limit.</summary>
    public int RequestsPerSecond { get; set; }

    /// <summary>Vectors written per second per key (upserts and backfill; one second's burst). Default 0: no limit.</summary>
    public int VectorsPerSecond { get; set; }

    /// <summary>Concurrent streaming calls per key (streamed upserts, backfill, encoder registration). Default 8; 0: no limit.</summary>
    public int MaxConcurrentStreams { get; set; } = 8;

    /// <summary>Mutual TLS: client certificates that stand in for a key.</summary>
    public ClientCertificateOptions ClientCertificates { get; set; } = new();

    public bool Enabled => !string.Equals(Mode, "disabled", StringComparison.OrdinalIgnoreCase);

    public sealed class ClientCertificateOptions
    {
        /// <summary>PEM file of the CA that issues client certificates; chains are validated against it alone. Required when <see cref="Map"/> is not empty.</summary>
        public string? CaFile { get; set; }

        /// <summary>Which certificates are accepted and what each may do. Empty (default): client certificates are not used.</summary>
        public List<ClientCertificateRule> Map { get; set; } = [];
    }

    public sealed class ClientCertificateRule
    {
        /// <summary>SHA-256 thumbprint (hex) of the certificate; or leave empty and give <see cref="Subject"/>.</summary>
        public string? Thumbprint { get; set; }

        /// <summary>Subject distinguished name as .NET writes it (<c>CN=ci, O=Example</c>).</summary>
        public string? Subject { get; set; }

        /// <summary>The name logs and audit events use for the caller.</summary>
        public string Name { get; set; } = "";

        /// <summary><c>read</c>, <c>write</c> or <c>admin</c>.</summary>
        public string Scope { get; set; } = "read";

        /// <summary>Collection names and patterns, comma-separated; empty: every collection.</summary>
        public string? Collections { get; set; }
    }
}

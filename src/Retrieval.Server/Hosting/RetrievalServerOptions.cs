using Retrieval.Engine;
using Retrieval.Engine.Backups;
using Retrieval.Engine.Indexes;

namespace Retrieval.Server.Hosting;

/// <summary>Server configuration, bound from the <c>Retrieval</c> section (environment: <c>Retrieval__*</c>).</summary>
public sealed class RetrievalServerOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>Where the embedded SQLite store keeps its files. Default <c>data</c> (relative to the working directory).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Store of record: <c>sqlite</c> (default, embedded) or <c>postgres</c> (uses <c>ConnectionStrings:Postgres</c>).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>Console log format: <c>text</c> (default) or <c>json</c> (compact JSON, one event a line).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>
    /// Writes one information-level line per HTTP request or gRPC call (method, path, status, time). Default false:
    /// then the request-logging middleware is not in the pipeline at all, so it costs a call nothing.
    /// </summary>
    public bool LogRequests { get; set; }

    /// <summary>Largest request (gRPC message or REST body), in bytes. Default 64 MiB.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024 * 1024;

    public PostgresSettings Postgres { get; set; } = new();

    /// <summary>Request limits (k, batch sizes, payload size).</summary>
    public EngineOptions Limits { get; set; } = new();

    /// <summary>Segments, index builds and snapshots (<c>Retrieval:Indexing</c>). Snapshots default to <c>{DataDirectory}/snapshots</c>.</summary>
    public IndexingOptions Indexing { get; set; } = new();

    /// <summary>Collection snapshots (<c>Retrieval:Backups</c>). The directory defaults to <c>{DataDirectory}/backups</c>.</summary>
    public BackupOptions Backups { get; set; } = new();

    public sealed class PostgresSettings
    {
        /// <summary>
        /// Apply pending schema migrations at start-up. Default false: production runs <c>retrieval db migrate</c>
        /// as an explicit step; the compose file turns this on for a one-machine setup.
        /// </summary>
        public bool MigrateOnStart { get; set; }
    }
}

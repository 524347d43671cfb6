namespace Retrieval.Storage.Postgres;

/// <summary>One step of the PostgreSQL schema, recorded in <c>schema_version</c> once applied.</summary>
public sealed record PostgresMigration(int Version, string Name);

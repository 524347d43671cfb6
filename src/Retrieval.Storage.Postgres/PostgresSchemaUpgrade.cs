namespace Retrieval.Storage.Postgres;

/// <summary>
/// One schema upgrade of the PostgreSQL store, recorded in <c>schema_version</c> once applied. ("Migration" names
/// model-upgrade migrations only; the operator verb that applies these stays <c>retrieval db migrate</c>.)
/// </summary>
public sealed record PostgresSchemaUpgrade(int Version, string Name);

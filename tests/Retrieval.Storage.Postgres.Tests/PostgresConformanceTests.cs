using Retrieval.Storage.Conformance;

namespace Retrieval.Storage.Postgres.Tests;

// The shared store conformance suite, run against PostgreSQL: one class (and so one database) per concern.
[RequiresPostgres]
public sealed class PostgresCollectionTests(PostgresStoreFixture fixture) : CollectionConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresWriteTests(PostgresStoreFixture fixture) : WriteConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMergeTests(PostgresStoreFixture fixture) : MergeConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresChangeFeedTests(PostgresStoreFixture fixture) : ChangeFeedConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresDurabilityTests(PostgresStoreFixture fixture) : DurabilityConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresConcurrencyTests(PostgresStoreFixture fixture) : ConcurrencyConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMapTests(PostgresStoreFixture fixture) : MapConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMultiVectorTests(PostgresStoreFixture fixture) : MultiVectorConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresRawInputTests(PostgresStoreFixture fixture) : RawInputConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMigrationStateTests(PostgresStoreFixture fixture) : MigrationConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresApiKeyTests(PostgresStoreFixture fixture) : ApiKeyConformanceTests<PostgresStoreFixture>(fixture);

using Retrieval.Storage.Conformance;
using Retrieval.Storage.Conformance.Transfer;

namespace Retrieval.Storage.Postgres.Tests;

// The shared store conformance suite, run against PostgreSQL: one suite (and so one database) per store role.
[RequiresPostgres]
public sealed class PostgresCatalogTests(PostgresStoreFixture fixture) : CatalogConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresItemTests(PostgresStoreFixture fixture) : ItemConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresRawInputTests(PostgresStoreFixture fixture) : RawInputConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMapTests(PostgresStoreFixture fixture) : MapConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresMigrationTests(PostgresStoreFixture fixture) : MigrationConformanceTests<PostgresStoreFixture>(fixture);

public sealed class PostgresMigrationStatisticsTests(PostgresStoreFixture fixture) : MigrationStatisticsConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresApiKeyTests(PostgresStoreFixture fixture) : ApiKeyConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresAliasTests(PostgresStoreFixture fixture) : AliasConformanceTests<PostgresStoreFixture>(fixture);

[RequiresPostgres]
public sealed class PostgresTransferTests(PostgresStoreFixture fixture) : TransferConformanceTests<PostgresStoreFixture>(fixture);

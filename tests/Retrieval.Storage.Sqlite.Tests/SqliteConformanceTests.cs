using Retrieval.Storage.Conformance;
using Retrieval.Storage.Conformance.Transfer;

namespace Retrieval.Storage.Sqlite.Tests;

// The shared store conformance suite, run against SQLite: one suite (and so one database) per store role.
public sealed class SqliteCatalogTests(SqliteStoreFixture fixture) : CatalogConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteItemTests(SqliteStoreFixture fixture) : ItemConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteRawInputTests(SqliteStoreFixture fixture) : RawInputConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMapTests(SqliteStoreFixture fixture) : MapConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMigrationTests(SqliteStoreFixture fixture) : MigrationConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMigrationStatisticsTests(SqliteStoreFixture fixture) : MigrationStatisticsConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteApiKeyTests(SqliteStoreFixture fixture) : ApiKeyConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteAliasTests(SqliteStoreFixture fixture) : AliasConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteTransferTests(SqliteStoreFixture fixture) : TransferConformanceTests<SqliteStoreFixture>(fixture);

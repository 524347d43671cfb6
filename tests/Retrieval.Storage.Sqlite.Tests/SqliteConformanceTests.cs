using Retrieval.Storage.Conformance;

namespace Retrieval.Storage.Sqlite.Tests;

// The shared store conformance suite, run against SQLite: one class (and so one database) per concern.
public sealed class SqliteCollectionTests(SqliteStoreFixture fixture) : CollectionConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteWriteTests(SqliteStoreFixture fixture) : WriteConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMergeTests(SqliteStoreFixture fixture) : MergeConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteChangeFeedTests(SqliteStoreFixture fixture) : ChangeFeedConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteDurabilityTests(SqliteStoreFixture fixture) : DurabilityConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteConcurrencyTests(SqliteStoreFixture fixture) : ConcurrencyConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMapTests(SqliteStoreFixture fixture) : MapConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMultiVectorTests(SqliteStoreFixture fixture) : MultiVectorConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteRawInputTests(SqliteStoreFixture fixture) : RawInputConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteMigrationStateTests(SqliteStoreFixture fixture) : MigrationConformanceTests<SqliteStoreFixture>(fixture);

public sealed class SqliteApiKeyTests(SqliteStoreFixture fixture) : ApiKeyConformanceTests<SqliteStoreFixture>(fixture);

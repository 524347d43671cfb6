using Retrieval.Storage.Conformance;
using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>Skips a class's inherited conformance tests as <see cref="PostgresFactAttribute"/> skips a fact.</summary>
public sealed class RequiresPostgresAttribute : StoreAvailabilityAttribute
{
    public override string? SkipReason => PostgresTestEnvironment.SkipReason;
}

using Retrieval.Testing;

namespace Retrieval.Storage.Postgres.Tests;

/// <summary>A fact that needs a PostgreSQL server: skipped when <see cref="PostgresTestEnvironment.SkipReason"/> says so.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = PostgresTestEnvironment.SkipReason;
    }
}

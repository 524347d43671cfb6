namespace Retrieval.Storage.Conformance;

/// <summary>
/// Put on a derived test class whose store may be unavailable (e.g. PostgreSQL without a server): when
/// <see cref="SkipReason"/> is not null every <see cref="StoreFactAttribute"/> test of the class is skipped.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public abstract class StoreAvailabilityAttribute : Attribute
{
    public abstract string? SkipReason { get; }
}

using Xunit.Sdk;

namespace Retrieval.Storage.Conformance;

/// <summary>
/// A <see cref="FactAttribute"/> for the inherited conformance tests. A plain Fact's Skip is fixed where the
/// abstract method is declared; this one also asks the concrete test class's <see cref="StoreAvailabilityAttribute"/>,
/// so the PostgreSQL project can skip the whole suite when no server is configured.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
[XunitTestCaseDiscoverer("Retrieval.Storage.Conformance.StoreFactDiscoverer", "Retrieval.Storage.Conformance")]
public sealed class StoreFactAttribute : FactAttribute;

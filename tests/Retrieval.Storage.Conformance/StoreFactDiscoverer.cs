using Xunit.Abstractions;
using Xunit.Sdk;

namespace Retrieval.Storage.Conformance;

/// <summary>Discovers <see cref="StoreFactAttribute"/> tests as <see cref="StoreTestCase"/>s.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(
        ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new StoreTestCase(
            DiagnosticMessageSink,
            discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod);
}

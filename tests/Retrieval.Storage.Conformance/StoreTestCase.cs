using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Retrieval.Storage.Conformance;

/// <summary>A test case whose skip reason also comes from the concrete class's <see cref="StoreAvailabilityAttribute"/>.</summary>
public sealed class StoreTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StoreTestCase()
    {
    }

    public StoreTestCase(
        IMessageSink diagnosticMessageSink,
        TestMethodDisplay defaultMethodDisplay,
        TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute)
    {
        var declared = base.GetSkipReason(factAttribute);
        if (declared is not null)
        {
            return declared;
        }

        var testClass = TestMethod.TestClass.Class.ToRuntimeType();
        return testClass?.GetCustomAttribute<StoreAvailabilityAttribute>(inherit: true)?.SkipReason!;
    }
}

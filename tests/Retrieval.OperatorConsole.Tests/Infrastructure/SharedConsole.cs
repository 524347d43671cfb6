namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>
/// One server and one Chromium for every console test, run one test at a time (a browser per test class would put
/// several Chromiums on a small CI machine at once). Tests use collection names of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedConsole : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}

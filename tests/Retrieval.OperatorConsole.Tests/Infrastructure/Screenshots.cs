namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>
/// Where the tests save their screenshots: artifacts/console-screenshots/ at the repository root (ignored by git; CI
/// keeps it as a test artifact), or RETRIEVAL_SCREENSHOTS when set.
/// </summary>
public static class Screenshots
{
    public static string Directory { get; } = Resolve();

    public static string PathFor(string name) => Path.Combine(Directory, name + ".png");

    private static string Resolve()
    {
        var configured = Environment.GetEnvironmentVariable("RETRIEVAL_SCREENSHOTS");
        var directory = string.IsNullOrEmpty(configured) ? Path.Combine(RepositoryRoot(), "artifacts", "console-screenshots") : configured;
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Retrieval.sln")))
            {
                return directory.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }
}

namespace Retrieval.Server.Tests.Deploy;

internal static class RepositoryRoot
{
    /// <summary>The directory holding Retrieval.sln, found by walking up from the test binaries.</summary>
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Retrieval.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Retrieval.sln not found above " + AppContext.BaseDirectory);
    }
}

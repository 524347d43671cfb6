using Retrieval.Core.Security;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Security;

/// <summary>
/// The admin key of <see cref="AuthOptions.BootstrapKeyFile"/>: read from the file, or generated into it (owner-only
/// permissions) when the file does not exist, so a fresh deployment has a way in without a chicken-and-egg step.
/// </summary>
internal static class BootstrapKeyFile
{
    public const string CreatedBy = "config";

    /// <summary>Loads (or creates) the key; returns its stored form and whether the file was created.</summary>
    public static (StoredApiKey Key, bool Created) LoadOrCreate(string path, DateTimeOffset now)
    {
        var created = false;
        string token;
        if (File.Exists(path))
        {
            token = File.ReadAllText(path).Trim();
        }
        else
        {
            (_, token) = ApiKeyToken.Generate();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(path, options))
            {
                writer.WriteLine(token);
            }

            created = true;
        }

        if (!ApiKeyToken.TryParse(token, out var id, out var secret))
        {
            // Never echo the file's content: it is meant to be a secret.
            throw new InvalidOperationException(
                $"Retrieval:Auth:BootstrapKeyFile '{path}' does not hold an API key (rtv_<12 hex>_<43 base64url>); delete it to have one generated");
        }

        var salt = ApiKeyHasher.NewSalt();
        var key = new StoredApiKey(id.ToString(), "bootstrap", ApiKeyScope.Admin, [], salt, ApiKeyHasher.Hash(salt, secret), now, CreatedBy, null, null);
        return (key, created);
    }
}

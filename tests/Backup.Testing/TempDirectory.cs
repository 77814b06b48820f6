namespace Backup.Testing;

/// <summary>A fresh directory under the system temp folder, deleted (made writable first) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Join(System.IO.Path.GetTempPath(), "backup-tests", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside this directory (not created).</summary>
    public string Join(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Shell.Run("chmod", "-R", "u+rwx", Path);
            // rm, not Directory.Delete: .NET cannot name (so cannot delete) an entry whose name is not UTF-8.
            Shell.Run("rm", "-rf", "--", Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder must not fail the test that used it.
        }
    }
}

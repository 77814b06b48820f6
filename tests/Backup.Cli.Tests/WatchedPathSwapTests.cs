using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>
/// A user who owns an ancestor of a watched directory swaps it, between two checks, for a symlink to a root-only tree
/// that has a directory of the same name: the next backup must not store what the link leads to.
/// </summary>
public sealed class WatchedPathSwapTests
{
    [Fact]
    public void Run_AncestorOfWatchedPathSwappedForSymlink_FailsThePathAndStoresNothingOfTheSecret()
    {
        using var backup = new BackupProcess();
        var docs = backup.Dir("shared", "mal", "docs");
        new TestTree(docs).File("a.txt", "mine");
        var secret = backup.Dir("secretparent", "docs");
        File.WriteAllText(Path.Join(secret, "shadow"), "TOPSECRET");
        Assert.Equal(0, backup.Run("add", docs).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);

        Directory.Move(backup.Join("shared", "mal"), backup.Join("shared", "mal.real"));
        File.CreateSymbolicLink(backup.Join("shared", "mal"), backup.Join("secretparent"));
        var result = backup.Run("run");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("is a symlink", result.Error, StringComparison.Ordinal);
        foreach (var zip in ArchiveFolder.Zips(backup.Archive))
        {
            // Entry names are stored uncompressed: the secret file's name in any archive means it was stored.
            Assert.DoesNotContain("shadow", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(zip)), StringComparison.Ordinal);
        }
        Assert.Single(ArchiveFolder.Zips(backup.Archive));
    }
}

using Backup.Testing;

namespace Backup.Cli.Tests;

public sealed class RemoveCommandTests
{
    [Fact]
    public void Remove_UnknownPath_ExitsOneNamingIt()
    {
        using var backup = new BackupProcess();
        var dir = backup.Dir("never-added");

        var result = backup.Run("remove", dir);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"not watched: {dir}", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void Remove_WatchedPathWithSnapshot_ForgetsPathAndKeepsArchives()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "hello").File("sub/b.txt", "world");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        var run = backup.Run("run");
        Assert.True(run.ExitCode == 0, run.ToString());
        var zips = ArchiveFolder.Zips(backup.Archive);
        Assert.Single(zips);

        var result = backup.Run("remove", src + "/");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"- {src}\n", result.Output);
        Assert.Equal("", backup.Run("list").Output);
        Assert.Equal(zips, ArchiveFolder.Zips(backup.Archive));
        ArchiveFolder.AssertValid(zips[0]);
        var snapshots = backup.Run("snapshots", "--json");
        Assert.Contains(zips[0], snapshots.Output, StringComparison.Ordinal);
        var again = backup.Run("run");
        Assert.Equal(zips, ArchiveFolder.Zips(backup.Archive));
        Assert.Contains("no directories are watched", again.Error, StringComparison.Ordinal);
    }
}

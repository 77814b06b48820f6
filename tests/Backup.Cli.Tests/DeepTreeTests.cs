using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>The walk holds one descriptor per level of the current path: deep trees and the open-file limit.</summary>
public class DeepTreeTests
{
    [Fact]
    public void Run_TreeDeeperThanPathMax_ArchivesEveryLevel()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        MakeDeep(src, levels: 300, name: new string('d', 20));
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var run = backup.Run("run");

        Assert.True(run.ExitCode == 0, run.ToString());
        var names = ArchiveFolder.EntryNames(Assert.Single(ArchiveFolder.Zips(backup.Archive)));
        Assert.Equal(301, names.Length);
        Assert.Contains(names, n => n.EndsWith("/leaf'", StringComparison.Ordinal) && n.Length > 300 * 21);
    }

    [Fact]
    public void Run_TreeDeeperThanHalfTheOpenFileLimit_ReportsTheDirectoryAndExitsThree()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        MakeDeep(src, levels: 200, name: "d");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        // 256 descriptors: the walk may hold 128 directories open at once.
        var run = Shell.Run("prlimit", ["--nofile=256:256", "--", BackupProcess.Executable, "run"], backup.Environment, backup.Root, BackupProcess.DefaultTimeout);

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("more than 128 directories deep", run.Error, StringComparison.Ordinal);
        Assert.True(ArchiveFolder.EntryNames(Assert.Single(ArchiveFolder.Zips(backup.Archive))).Length >= 128);
    }

    private static void MakeDeep(string root, int levels, string name) => ArchiveFolder.Python("""
        import os, sys
        fd = os.open(sys.argv[1], os.O_RDONLY)
        for _ in range(int(sys.argv[2])):
            os.mkdir(sys.argv[3], dir_fd=fd)
            inner = os.open(sys.argv[3], os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open('leaf', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
        """, root, levels.ToString(System.Globalization.CultureInfo.InvariantCulture), name);
}

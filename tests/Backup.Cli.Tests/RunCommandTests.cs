using System.Globalization;
using Backup.Testing;

namespace Backup.Cli.Tests;

public sealed class RunCommandTests
{
    [Fact]
    public void Run_UnchangedTree_SecondRunArchivesNothing()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a").File("d/b.txt", "b");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var first = backup.Run("run");
        var second = backup.Run("run");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("archived 1 of 1 directories", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("archived 0 of 1 directories", second.Output, StringComparison.Ordinal);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        Assert.Matches(@"/src-[0-9a-f]{8}/\d{8}T\d{9}Z\.zip$", zip);
        ArchiveFolder.AssertValid(zip);
    }

    [Fact]
    public void Run_ArchiveFolderBelowRegularFile_ExitsOneNamingPathAndLeavesNothing()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        var blocker = backup.Join("blocker");
        File.WriteAllText(blocker, "a file, not a folder");
        var archive = Path.Join(blocker, "archive");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var result = backup.Run("run", "--archive", archive);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(blocker, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal("a file, not a folder", File.ReadAllText(blocker));
        Assert.Empty(ArchiveFolder.Partials(backup.Root));
        Assert.Empty(ArchiveFolder.Zips(backup.Root));
        Assert.Equal("[]", backup.Run("snapshots", "--json").Output.Trim());
    }

    [Fact]
    public void Run_WatchedDirectoryDeletedBetweenChecks_ExitsOneNamingItAndArchivesTheOther()
    {
        using var backup = new BackupProcess();
        var gone = backup.Dir("gone");
        var kept = backup.Dir("kept");
        new TestTree(gone).File("g.txt", "g");
        new TestTree(kept).File("k.txt", "k");
        Assert.Equal(0, backup.Run("add", gone, kept).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        Directory.Delete(gone, recursive: true);
        File.WriteAllText(Path.Join(kept, "k2.txt"), "changed");

        var result = backup.Run("run");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(gone, result.Error, StringComparison.Ordinal);
        Assert.Contains("archived 1 of 2 directories, 1 failed", result.Output, StringComparison.Ordinal);
        var keptZips = ZipsOf(backup, kept);
        Assert.Equal(2, keptZips.Length);
        var restored = backup.Join("restored");
        Assert.Equal(0, backup.Run("restore", keptZips[^1], "--target", restored).ExitCode);
        TreeAssert.Identical(kept, restored);
    }

    [Fact]
    public void Run_UnreadableSubdirectory_ExitsThreeNamingItAndArchivesTheRest()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src)
            .File("top.txt", "top")
            .File("open/inner.txt", "inner")
            .File("locked/secret.txt", "secret");
        backup.RunAsNobody();
        File.SetUnixFileMode(Path.Join(src, "locked"), UnixFileMode.None);
        var help = backup.Run("--help");
        Assert.True(help.ExitCode == 0, $"the backup executable cannot run as nobody: {help}");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var result = backup.Run("run");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("locked", result.Error, StringComparison.Ordinal);
        Assert.Contains("could not be read", result.Error, StringComparison.Ordinal);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        ArchiveFolder.AssertValid(zip);
        var restored = backup.Join("restored");
        var restore = backup.Run("restore", zip, "--target", restored);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        // The locked folder's own mode is checked by RestoreCommandTests.Restore_ModeZeroEntries_KeepModeZero.
        TreeAssert.Identical(src, restored, "locked", "locked/secret.txt");
        Assert.True(Directory.Exists(Path.Join(restored, "locked")));
        Assert.False(File.Exists(Path.Join(restored, "locked", "secret.txt")));
    }

    [Fact]
    public void Run_TwentyThousandFilesInOneDirectory_RestoresIdentical()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("many");
        for (var i = 0; i < 20_000; i++)
        {
            File.WriteAllText(Path.Join(src, $"f{i:D5}.txt"), i.ToString(CultureInfo.InvariantCulture));
        }
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var run = backup.Run("run");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("20000 files", run.Output, StringComparison.Ordinal);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        ArchiveFolder.AssertValid(zip);
        var restored = backup.Join("restored");
        var restore = backup.Run("restore", "1", "--target", restored);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        TreeAssert.Identical(src, restored);
    }

    [Fact]
    public void Run_AwkwardNames_LeavesOutInvalidUtf8AndRestoresTheRest()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("names");
        new TestTree(src)
            .File("with space.txt", "space")
            .File("new\nline.txt", "newline")
            .File("ünïcödé.txt", "unicode")
            .File("dir with space/inner.txt", "inner");
        ArchiveFolder.Python("import os, sys\nwith open(os.fsencode(sys.argv[1]) + b'/bad\\xffname', 'wb') as f: f.write(b'bad')", src);
        try
        {
            Assert.Equal(0, backup.Run("add", src).ExitCode);

            var run = backup.Run("run");

            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Contains(@"bad\xffname", run.Error, StringComparison.Ordinal);
            var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
            ArchiveFolder.AssertValid(zip);
            var names = ArchiveFolder.EntryNames(zip);
            Assert.Contains("'new\\nline.txt'", names);
            Assert.DoesNotContain(names, n => n.Contains("bad", StringComparison.Ordinal));
            var restored = backup.Join("restored");
            var restore = backup.Run("restore", zip, "--target", restored);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            TreeAssert.Identical(src, restored, @"bad\xffname");
            Assert.Equal(5, Directory.EnumerateFileSystemEntries(restored, "*", SearchOption.AllDirectories).Count());
        }
        finally
        {
            // .NET cannot name a file whose name is not UTF-8, so TempDirectory could not delete it.
            ArchiveFolder.Python("import os, sys\nos.remove(os.fsencode(sys.argv[1]) + b'/bad\\xffname')", src);
        }
    }

    [Fact]
    public void Run_SigtermDuringArchive_Exits130AndLeavesNoArchive()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("slow");
        var big = Path.Join(src, "zeros.bin");
        using (var stream = new FileStream(big, FileMode.CreateNew, FileAccess.Write))
        {
            // Many GiB of holes take seconds to read and compress, so the signal lands mid-archive, yet cost no disk.
            stream.SetLength(16L << 30);
        }
        new TestTree(src).File("a.txt", TestTree.RandomBytes(1 << 20, 1)).File("b.txt", TestTree.Text(1 << 20, 2));
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        using var running = backup.Start("run");
        Poll.Until(() => ArchiveFolder.Partials(backup.Archive).Length > 0 || running.HasExited,
            "a partial archive to appear", describe: running.ToString);
        Assert.False(running.HasExited, $"run finished before it could be interrupted: {running}");
        running.Signal("TERM");
        var exit = running.WaitForExit(TimeSpan.FromSeconds(15));

        Assert.True(exit == 130, running.ToString());
        Assert.Contains("interrupted", running.Error, StringComparison.Ordinal);
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
        Assert.Empty(ArchiveFolder.Zips(backup.Archive));
        Assert.Equal("[]", backup.Run("snapshots", "--json").Output.Trim());

        // The catalog and archive folder are left consistent: the next run works (on a smaller tree, to stay quick).
        using (var stream = new FileStream(big, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(1 << 20);
        }
        var again = backup.Run("run");
        Assert.True(again.ExitCode == 0, again.ToString());
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        ArchiveFolder.AssertValid(zip);
        Assert.Empty(ArchiveFolder.Partials(backup.Archive));
    }

    internal static string[] ZipsOf(BackupProcess backup, string source) =>
        [.. ArchiveFolder.Zips(backup.Archive).Where(z => Path.GetFileName(Path.GetDirectoryName(z)!).StartsWith(Path.GetFileName(source) + "-", StringComparison.Ordinal))];
}

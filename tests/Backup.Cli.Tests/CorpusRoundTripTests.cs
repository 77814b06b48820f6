using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>The shared benchmark corpus (awkward names, symlinks, empty folders, deep nesting) through run and restore.</summary>
public sealed class CorpusRoundTripTests
{
    [Fact]
    public void RunThenRestore_GeneratedCorpus_RestoresIdentical()
    {
        using var backup = new BackupProcess();
        var src = backup.Join("corpus");
        var generate = Shell.Run("python3", [SharedScripts.GenCorpus, src, "--size-mb", "5"], null, null, TimeSpan.FromMinutes(2));
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var run = backup.Run("run");

        Assert.True(run.ExitCode == 0, run.ToString());
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        ArchiveFolder.AssertValid(zip);
        var target = backup.Join("restored");
        var restore = backup.Run("restore", zip, "--target", target);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var diff = Shell.Run("diff", "-r", "--no-dereference", src, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        TreeAssert.Identical(src, target);
    }
}

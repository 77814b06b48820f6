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
        var generate = Shell.Run("python3", [FindCorpusGenerator(), src, "--size-mb", "5"], null, null, TimeSpan.FromMinutes(2));
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

    /// <summary>shared/bench/gen-corpus.py, beside the repository (or its CI copy), found by walking up from the test assembly.</summary>
    private static string FindCorpusGenerator()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Join(dir.FullName, "shared", "bench", "gen-corpus.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"shared/bench/gen-corpus.py not found in any folder above {AppContext.BaseDirectory}; the shared folder must sit beside the repository");
        return "";
    }
}

using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>restore --delete</c>, <c>--dry-run</c> and <c>--exclude</c>: restoring in place, through the real executable.</summary>
public sealed class RestoreDeleteTests
{
    [Fact]
    public void RestoreDelete_TargetWithExtras_BecomesTheSnapshotAndKeepsExcludedEntries()
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        var target = backup.Dir("target");
        new TestTree(target)
            .File("a.txt", "an older a")
            .File("extra.txt", "not in the snapshot")
            .File("gone/deep/x.bin", "a whole extra tree")
            .File("gone/notes.log", "excluded: must survive in an extra directory")
            .File("keep.log", "excluded: must survive")
            .File("data/old.txt", "extra in a directory the snapshot has")
            .File("empty-dir/stray", "extra inside an empty directory")
            .File("bin/tool.sh/inner", "a directory where the snapshot has a file");

        var result = backup.Run("restore", "1", "--target", target, "--delete", "--exclude", "*.log");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("deleted 5 files, 2 directories", result.Output, StringComparison.Ordinal);
        var diff = Shell.Run("diff", "-r", "--no-dereference", "-x", "*.log", "-x", "gone", src, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Equal("excluded: must survive", File.ReadAllText(Path.Join(target, "keep.log")));
        Assert.Equal(["notes.log"], Directory.GetFileSystemEntries(Path.Join(target, "gone")).Select(Path.GetFileName));
    }

    [Fact]
    public void RestoreDelete_SymlinksInTargetPointOutside_RemovesTheLinksAndNothingOutside()
    {
        using var backup = new BackupProcess();
        var src = Populate(backup);
        var outside = backup.Dir("outside");
        new TestTree(outside).File("precious.txt", "outside the target").File("sub/also.txt", "outside too");
        var target = backup.Dir("target");
        Directory.CreateSymbolicLink(Path.Join(target, "to-dir"), outside);
        File.CreateSymbolicLink(Path.Join(target, "to-file"), Path.Join(outside, "precious.txt"));
        // Where the snapshot has a directory, a symlink to one outside: replaced, never written through.
        Directory.CreateSymbolicLink(Path.Join(target, "data"), Path.Join(outside, "sub"));

        var result = backup.Run("restore", "1", "--target", target, "--delete");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("outside the target", File.ReadAllText(Path.Join(outside, "precious.txt")));
        Assert.Equal(["also.txt"], Directory.GetFileSystemEntries(Path.Join(outside, "sub")).Select(Path.GetFileName));
        Assert.False(Path.Exists(Path.Join(target, "to-dir")));
        Assert.False(Path.Exists(Path.Join(target, "to-file")));
        var diff = Shell.Run("diff", "-r", "--no-dereference", src, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public void RestoreDryRun_DeleteIntoTargetWithExtras_WritesNothingAndCountsEachAction()
    {
        using var backup = new BackupProcess();
        Populate(backup);
        var target = backup.Dir("target");
        new TestTree(target).File("a.txt", "an older a").File("extra/one.txt", "12345").File("keep.log", "left alone");
        var before = Listing(target);
        var absent = backup.Join("absent", "deeper");

        var result = backup.Run("restore", "1", "--target", target, "--delete", "--exclude", "*.log", "--dry-run", "--json");
        var text = backup.Run("restore", "1", "--target", target, "--delete", "--dry-run");
        var fresh = backup.Run("restore", "1", "--target", absent, "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(before, Listing(target));
        var json = JsonLinesOutput.Single(result.Output);
        Assert.True(json.GetProperty("dry_run").GetBoolean());
        Assert.Equal(1, json.GetProperty("overwritten").GetProperty("files").GetInt64());
        Assert.Equal(5, json.GetProperty("created").GetProperty("files").GetInt64());
        Assert.Equal(["extra", "extra/one.txt"], json.GetProperty("deleted_paths").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(5, json.GetProperty("deleted").GetProperty("bytes").GetInt64());
        Assert.Equal(1, json.GetProperty("left_alone").GetProperty("files").GetInt64());
        Assert.Equal(6, json.GetProperty("files").GetInt64());
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"would delete     {Path.Join(target, "keep.log")}", text.Output, StringComparison.Ordinal);
        Assert.Contains("dry run: nothing was written", text.Output, StringComparison.Ordinal);
        Assert.Equal(before, Listing(target));
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.Contains("create         6 files, 5 directories, 1 symlink", fresh.Output, StringComparison.Ordinal);
        Assert.False(Path.Exists(backup.Join("absent")));
    }

    [Fact]
    public void RestoreDelete_RepositorySnapshotWithJson_DeletesExtrasAndSaysWhat()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("d/b.txt", "beta").Link("l", "a.txt");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;
        var target = world.Dir("target");
        new TestTree(target).File("d/extra.txt", "1234").File("l/inner", "a directory where the snapshot has a symlink");

        var dryRun = world.Expect(0, "restore", id[..8], "--target", target, "--delete", "--dry-run", "--json");
        var extraAfterDryRun = File.Exists(Path.Join(target, "d", "extra.txt"));
        var restore = world.Expect(0, "restore", id[..8], "--target", target, "--delete", "--json");

        Assert.Equal(["d/extra.txt", "l", "l/inner"], JsonLinesOutput.Single(dryRun.Output).GetProperty("deleted_paths").EnumerateArray().Select(p => p.GetString()));
        Assert.True(extraAfterDryRun, "the dry run deleted nothing");
        var json = JsonLinesOutput.Single(restore.Output);
        Assert.False(json.GetProperty("dry_run").GetBoolean());
        Assert.Equal(2, json.GetProperty("deleted").GetProperty("files").GetInt64());
        Assert.Equal(1, json.GetProperty("deleted").GetProperty("directories").GetInt64());
        Assert.Equal(id, json.GetProperty("snapshot").GetString());
        var diff = Shell.Run("diff", "-r", "--no-dereference", src, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public void RestoreExclude_PatternsAndInclude_LeavesOutMatchesAndWhatIsBelowAMatchingDirectory()
    {
        using var backup = new BackupProcess();
        Populate(backup);
        var all = backup.Join("all");
        var some = backup.Join("some");
        var none = backup.Join("none");

        var excluded = backup.Run("restore", "1", "--target", all, "--exclude", "data", "--exclude", "*.sh");
        var both = backup.Run("restore", "1", "--target", some, "--include", "data", "--exclude", "*.bin");
        var nothing = backup.Run("restore", "1", "--target", none, "--exclude", "*");

        Assert.True(excluded.ExitCode == 0, excluded.ToString());
        Assert.False(Path.Exists(Path.Join(all, "data")));
        Assert.True(Directory.Exists(Path.Join(all, "bin")));
        Assert.False(Path.Exists(Path.Join(all, "bin", "tool.sh")));
        Assert.True(File.Exists(Path.Join(all, "a.txt")));
        Assert.True(both.ExitCode == 0, both.ToString());
        Assert.Equal(["data"], Directory.GetFileSystemEntries(some).Select(Path.GetFileName));
        Assert.Equal(["text.txt"], Directory.GetFileSystemEntries(Path.Join(some, "data")).Select(Path.GetFileName));
        Assert.True(nothing.ExitCode == 1, nothing.ToString());
        Assert.Contains("matches --exclude '*'", nothing.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(none));
    }

    /// <summary>Every entry below <paramref name="root"/> with its type, size and nanosecond mtime, from find(1).</summary>
    private static string Listing(string root)
    {
        var find = Shell.Run("find", root, "-printf", "%P %y %s %T@\n");
        Assert.True(find.ExitCode == 0, find.ToString());
        return string.Join('\n', find.Output.Split('\n').Order(StringComparer.Ordinal));
    }

    private static string Populate(BackupProcess backup)
    {
        var src = backup.Dir("src");
        new TestTree(src)
            .File("a.txt", "alpha")
            .File("bin/tool.sh", "#!/bin/sh\necho hi\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
            .File("data/random.bin", TestTree.RandomBytes(3000, 3))
            .File("data/text.txt", TestTree.Text(3000, 4))
            .File("empty.txt", "")
            .File("sub/deeper/b.txt", "beta")
            .Dir("empty-dir")
            .Link("link-to-a", "a.txt");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        var run = backup.Run("run");
        Assert.True(run.ExitCode == 0, run.ToString());
        return src;
    }
}

using System.Text.Json;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>add --exclude</c> and friends, through the real executable: what is stored, shown, and left out of zip and repository snapshots.</summary>
public sealed class ExcludeTests
{
    private const string CacheTag = "Signature: 8a477f597d28d172789f06886806bc55\n";

    private static void Fill(string source) => new TestTree(source)
        .File("docs/a.txt", "kept").File("docs/debug.log", "left out").File("docs/keep.log", "kept by !keep.log")
        .File("node_modules/pkg/index.js", "left out").File("build/out.o", "left out").File("src/build", "a file named build: kept")
        .File("cache/CACHEDIR.TAG", CacheTag).File("cache/blob", "left out")
        .File("big.iso", new byte[3 << 20]).File("small.bin", new byte[100])
        .File("photos/.backupignore", "*.raw\n").File("photos/p.raw", "left out").File("photos/p.jpg", "kept");

    private static readonly string[] s_kept =
    [
        "docs/a.txt", "docs/keep.log", "src/build", "cache/CACHEDIR.TAG", "small.bin", "photos/.backupignore", "photos/p.jpg",
    ];

    private static readonly string[] s_leftOut =
    [
        "docs/debug.log", "node_modules", "build/out.o", "cache/blob", "big.iso", "photos/p.raw",
    ];

    private static string[] ExcludeArgs(string patternFile) =>
        ["-e", "*.log", "-e", "!keep.log", "--exclude-file", patternFile, "--exclude-caches", "--exclude-larger-than", "1M"];

    [Fact]
    public void Run_ZipWithExcludes_ArchiveLacksExcludedEntriesAndListShowsTheRules()
    {
        using var backup = new BackupProcess();
        var source = backup.Dir("src");
        Fill(source);
        var patternFile = backup.Join("patterns");
        File.WriteAllText(patternFile, "# build output\nnode_modules/\n/build/\n\n");

        var add = backup.Run(["add", source, .. ExcludeArgs(patternFile)]);
        var run = backup.Run("run");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        var names = Shell.Run("python3", "-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", zip);
        Assert.True(names.ExitCode == 0, names.ToString());
        var entries = names.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(s_kept, k => Assert.Contains(k, entries));
        Assert.All(s_leftOut, x => Assert.DoesNotContain(entries, e => e == x || e.StartsWith(x + "/", StringComparison.Ordinal)));
        var list = backup.Run("list");
        Assert.Contains("    exclude *.log\n    include again keep.log (!keep.log)\n    exclude node_modules/\n    exclude /build/\n", list.Output, StringComparison.Ordinal);
        Assert.Contains("    exclude caches (CACHEDIR.TAG)\n    exclude files larger than 1.0 MiB (1048576 bytes)\n", list.Output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(backup.Run("list", "--json").Output);
        var excludes = json.RootElement[0].GetProperty("excludes");
        Assert.Equal(["*.log", "!keep.log", "node_modules/", "/build/"], excludes.GetProperty("patterns").EnumerateArray().Select(p => p.GetString()));
        Assert.True(excludes.GetProperty("exclude_caches").GetBoolean());
        Assert.Equal(1 << 20, excludes.GetProperty("exclude_larger_than").GetInt64());

        // An edit of an excluded file changes nothing: no new snapshot.
        File.AppendAllText(Path.Join(source, "docs", "debug.log"), " more");
        var again = backup.Run("run");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Single(ArchiveFolder.Zips(backup.Archive));
    }

    [Fact]
    public void Run_RepositoryWithExcludes_SnapshotLacksExcludedEntries()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var source = world.Dir("src");
        Fill(source);
        var patternFile = world.Join("patterns");
        File.WriteAllText(patternFile, "node_modules/\n/build/\n");
        var add = world.Raw(["add", source, .. ExcludeArgs(patternFile)]);
        Assert.True(add.ExitCode == 0, add.ToString());

        world.Expect(0, "run");

        var id = Assert.Single(world.Snapshots()).Id;
        var ls = world.Expect(0, "ls", id).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim().TrimStart('/')).ToList();
        Assert.All(s_kept, k => Assert.Contains(ls, l => l.EndsWith(k, StringComparison.Ordinal)));
        Assert.All(s_leftOut, x => Assert.DoesNotContain(ls, l => l.EndsWith(x, StringComparison.Ordinal) || l.Contains(x + "/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Add_AgainWithOptions_AddsToTheRulesAndSaysWhatChanged()
    {
        using var backup = new BackupProcess();
        var source = backup.Dir("src");
        backup.Run("add", source, "-e", "*.tmp");

        var same = backup.Run("add", source);
        var more = backup.Run("add", source, "-e", "*.o", "--one-file-system");
        var cleared = backup.Run("add", source, "--clear-excludes", "-e", "*.a");

        Assert.Equal($"= {source} (already watched, exclude rules kept)\n    exclude *.tmp\n", same.Output);
        Assert.Equal($"= {source} (already watched, exclude rules changed)\n  + exclude *.o\n  + one file system\n", more.Output);
        Assert.Equal($"= {source} (already watched, exclude rules changed)\n  - exclude *.tmp\n  - exclude *.o\n  - one file system\n  + exclude *.a\n", cleared.Output);
        Assert.Contains("    exclude *.a\n", backup.Run("list").Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "-e", "[oops" }, "not closed")]
    [InlineData(new[] { "--exclude-larger-than", "10X" }, "not a size")]
    [InlineData(new[] { "--exclude-if-present", "a/b" }, "file name")]
    [InlineData(new[] { "--exclude-file", "missing-file" }, "cannot read --exclude-file")]
    public void Add_InvalidRule_ExitsTwoAndWatchesNothing(string[] options, string reason)
    {
        using var backup = new BackupProcess();
        var source = backup.Dir("src");

        var result = backup.Run(["add", source, .. options]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal("", backup.Run("list").Output);
    }

    [Fact]
    public void Add_ExcludeFileWithBadLine_NamesTheFileAndLine()
    {
        using var backup = new BackupProcess();
        var source = backup.Dir("src");
        var file = backup.Join("patterns");
        File.WriteAllText(file, "# fine\n*.o\nbad[\n");

        var result = backup.Run("add", source, "--exclude-file", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{file} line 3", result.Error, StringComparison.Ordinal);
    }
}

using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>What ls, diff and stats print for a small tree whose changes are known.</summary>
public sealed class RepositoryCommandsTests
{
    [Fact]
    public void Ls_SmallTree_ListsEveryEntryWithModeAndSize()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src)
            .File("readme.txt", "hello", UnixFileMode.UserRead | UnixFileMode.UserWrite)
            .File("bin/tool", TestTree.RandomBytes(1234, 2), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
            .Link("latest", "readme.txt")
            .Dir("empty");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;

        var lines = world.Expect(0, "ls", id).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["bin", "bin/tool", "empty", "latest", "readme.txt"], lines.Select(l => l.Split("  ")[^1]).Order(StringComparer.Ordinal));
        Assert.Matches(@"^-rw------- +5 .*  readme\.txt$", Line(lines, "readme.txt"));
        Assert.Matches(@"^-rwx------ +1234 .*  bin/tool$", Line(lines, "bin/tool"));
        Assert.StartsWith("l", Line(lines, "latest"), StringComparison.Ordinal);
        Assert.StartsWith("d", Line(lines, "empty"), StringComparison.Ordinal);
    }

    [Fact]
    public void Ls_WithPath_ListsOnlyThatSubtree()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("keep/one.txt", "1").File("keep/deeper/two.txt", "2").File("keepnot.txt", "3").File("other/x.txt", "4");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;

        var lines = world.Expect(0, "ls", id, "/keep/").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["keep", "keep/deeper", "keep/deeper/two.txt", "keep/one.txt"], lines.Select(l => l.Split("  ")[^1]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ls_AbsoluteSourcePathOrDotSlash_ListsThatSubtree()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("keep/one.txt", "1").File("other/x.txt", "4").File("-x", "dash");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;

        var lines = world.Expect(0, "ls", id, Path.Join(src, "keep")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var missing = world.Run("ls", id, Path.Join(src, "nothere"));
        var dash = world.Expect(0, "ls", id, "./-x").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["keep", "keep/one.txt"], lines.Select(l => l.Split("  ")[^1]).Order(StringComparer.Ordinal));
        Assert.Equal("-x", Assert.Single(dash).Split("  ")[^1]);
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains($"no path {Path.Join(src, "nothere")} in snapshot", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_KnownChanges_ListsAddedRemovedModifiedAndSummary()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("same.txt", "unchanged").File("gone.txt", "bye").File("edited.txt", "before").File("dir/deep.txt", "deep");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        File.Delete(Path.Join(src, "gone.txt"));
        File.WriteAllText(Path.Join(src, "edited.txt"), "after, and longer");
        new TestTree(src).File("new.txt", "fresh").File("dir/newer.txt", "fresher");
        world.Expect(0, "run");
        var snapshots = world.Snapshots();
        Assert.Equal(2, snapshots.Count);

        var diff = world.Expect(0, "diff", snapshots[0].Id, snapshots[1].Id).Output;

        var changes = diff.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Length > 1 && l[1] == ' ' && "+-M".Contains(l[0], StringComparison.Ordinal))
            .Select(l => l[0] + " " + Regex.Match(l[1..], @"^\s*(\S+)").Groups[1].Value)
            .ToList();
        // The folder holding a changed entry may be reported modified too (its mtime changed); no other entry may be.
        Assert.Equal(["+ dir/newer.txt", "+ new.txt", "- gone.txt", "M edited.txt"],
            changes.Where(c => c is not ("M dir" or "M ")).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("same.txt", diff, StringComparison.Ordinal);
        Assert.DoesNotContain("dir/deep.txt", diff, StringComparison.Ordinal);
        Assert.Contains("2 added", diff, StringComparison.Ordinal);
        Assert.Contains("1 removed", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_TwoIdenticalSnapshots_ShowsCountsAndDeduplication()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("a.bin", TestTree.RandomBytes(700_000, 3)).File("b.txt", TestTree.Text(300_000, 4));
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        File.WriteAllText(Path.Join(src, "tiny.txt"), "x");
        world.Expect(0, "run");
        Assert.Equal(2, world.Snapshots().Count);

        var stats = world.Expect(0, "stats").Output;

        Assert.Matches(@"snapshots:\s+2\b", stats);
        var ratio = double.Parse(Regex.Match(stats, @"deduplication ratio:\s+([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        // Two snapshots of the same 1 MB hold it once: logical bytes are twice the unique bytes.
        Assert.InRange(ratio, 1.9, 2.1);
        var compression = double.Parse(Regex.Match(stats, @"compression ratio:\s+([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(compression > 1.05, $"the text file should compress\n{stats}");
    }

    [Fact]
    public void Stats_EmptyRepository_SaysNothingIsStoredRatherThanZeroRatios()
    {
        using var world = new RepositoryProcess();
        world.Init();

        var stats = world.Expect(0, "stats").Output;

        Assert.Matches(@"snapshots:\s+0\n", stats);
        Assert.Contains("deduplication ratio:  —  (nothing stored yet)", stats, StringComparison.Ordinal);
        Assert.Contains("compression ratio:    —  (nothing stored yet)", stats, StringComparison.Ordinal);
        Assert.DoesNotContain("0.00", stats, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_FolderWithOtherFiles_SaysInitCannotMakeItOne()
    {
        using var world = new RepositoryProcess();
        var zips = world.Dir("zips");
        File.WriteAllText(Path.Join(zips, "Documents-1f2e3d4c.zip"), "not a repository");

        var result = world.Raw("stats", "--archive", zips);

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains($"no repository at {zips}: the folder holds other files", result.Error, StringComparison.Ordinal);
        Assert.Contains("`backup init` cannot make it one", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("create one with", result.Error, StringComparison.Ordinal);
        Assert.Equal(1, world.Raw("init", "--archive", zips).ExitCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Stats_EmptyOrAbsentFolder_AdvisesInit(bool exists)
    {
        using var world = new RepositoryProcess();
        var folder = exists ? world.Dir("new") : world.Join("new");

        var result = world.Raw("stats", "--archive", folder);

        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains($"no repository at {folder} (create one with: backup init --archive {folder})", result.Error, StringComparison.Ordinal);
        world.Raw("init", "--archive", folder);
        Assert.Equal(0, world.Raw("stats", "--archive", folder).ExitCode);
    }

    private static string Line(string[] lines, string path) => Assert.Single(lines, l => l.EndsWith("  " + path, StringComparison.Ordinal));
}

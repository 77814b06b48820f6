using System.Text.Json;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>backup find</c>: which snapshots hold entries a glob matches, over repository and zip snapshots.</summary>
public sealed class FindCommandTests
{
    [Fact]
    public void Find_FileAppearsThenDisappears_ListsOnlyTheSnapshotsThatHoldIt()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var tree = new TestTree(src).File("keep/a.txt", "a");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        tree.File("keep/lib/x.c", "int x;");
        world.Expect(0, "run");
        File.Delete(Path.Join(src, "keep", "lib", "x.c"));
        tree.File("keep/other.txt", "o");
        world.Expect(0, "run");
        var ids = world.Snapshots().Select(s => s.Id).ToList();

        var json = world.Expect(0, "find", "*.c", "--json");
        var text = world.Expect(0, "find", "*.c");

        var lines = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var only = JsonDocument.Parse(Assert.Single(lines));
        var found = only.RootElement;
        Assert.Equal(ids[1], found.GetProperty("id").GetString());
        Assert.Equal(ids[1][..8], found.GetProperty("snapshot").GetString());
        Assert.Equal(src, found.GetProperty("source").GetString());
        var match = Assert.Single(found.GetProperty("matches").EnumerateArray());
        Assert.Equal(Path.Join(src, "keep", "lib", "x.c"), match.GetProperty("path").GetString());
        Assert.Equal("file", match.GetProperty("type").GetString());
        Assert.Equal(6, match.GetProperty("size").GetInt64());
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Join(src, "keep", "a.txt")).Year, match.GetProperty("mtime").GetDateTimeOffset().Year);
        Assert.Contains($"snapshot {ids[1][..8]} of {src}", text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ids[0][..8], text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ids[2][..8], text.Output, StringComparison.Ordinal);
        Assert.Contains("1 match in 1 of 3 snapshots", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_GlobForms_MatchAsDocumented()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        var tree = new TestTree(src).File("keep/a.txt", "a");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        tree.File("keep/b.txt", "b");
        world.Expect(0, "run");
        (string Arguments, int Snapshots)[] table =
        [
            ("a.txt", 2),
            ("*.TXT", 0), // case matters
            ("*.TXT --ignore-case", 2),
            ("b.*", 1), // b.txt is only in the second
            ("keep/a.txt", 2), // a relative path matches the last components
            ("eep/a.txt", 0),
            ("ROOT/**/a.txt", 2), // an absolute one the whole path
            ("ROOT/*/a.txt", 2),
            ("ROOT/*/*/a.txt", 0),
            ("ROOT/**/a.txt --snapshot 1", 1),
        ];

        foreach (var (arguments, snapshots) in table)
        {
            var find = world.Run(["find", .. arguments.Replace("ROOT", src, StringComparison.Ordinal).Split(' '), "--json"]);

            Assert.True(find.ExitCode == (snapshots == 0 ? 1 : 0), $"find {arguments}\n{find}");
            Assert.True(snapshots == find.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, $"find {arguments}\n{find}");
            Assert.True(snapshots > 0 || find.Error.Contains("nothing matches", StringComparison.Ordinal), $"find {arguments}\n{find}");
        }
    }

    [Fact]
    public void Find_ZipSnapshots_SearchesTheirCentralDirectory()
    {
        using var backup = new BackupProcess();
        var src = backup.Join("src");
        var tree = new TestTree(src).File("a.txt", "a");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        tree.File("d/report.pdf", "pdf!");
        Assert.Equal(0, backup.Run("run").ExitCode);

        var find = backup.Run("find", "*.pdf", "--json");

        Assert.True(find.ExitCode == 0, find.ToString());
        using var line = JsonDocument.Parse(Assert.Single(find.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("2", line.RootElement.GetProperty("snapshot").GetString());
        Assert.EndsWith(".zip", line.RootElement.GetProperty("archive").GetString(), StringComparison.Ordinal);
        var match = Assert.Single(line.RootElement.GetProperty("matches").EnumerateArray());
        Assert.Equal(Path.Join(src, "d", "report.pdf"), match.GetProperty("path").GetString());
        Assert.Equal(4, match.GetProperty("size").GetInt64());
    }

    [Theory]
    [InlineData("folder removed")]
    [InlineData("config corrupted")]
    [InlineData("other password")]
    public void Find_OneOfTwoRepositoriesUnreachable_PrintsTheOthersMatchesNamesItAndExits1(string breakage)
    {
        using var world = new RepositoryProcess();
        var first = world.Join("first");
        var second = world.Join("second");
        new TestTree(first).File("one.pdf", "1");
        new TestTree(second).File("two.pdf", "22");
        var other = world.Join("other-repo");
        world.Init();
        world.Add(first);
        world.Expect(0, "run");
        world.PasswordValue = breakage == "other password" ? "not pw" : RepositoryProcess.Password;
        Assert.Equal(0, world.Raw("init", "--archive", other).ExitCode);
        world.Add(second);
        var run = world.Raw("run", "--archive", other);
        Assert.True(run.ExitCode == 0, run.ToString());
        world.PasswordValue = RepositoryProcess.Password;
        if (breakage != "other password")
        {
            var both = world.Raw("find", "*.pdf");
            Assert.True(both.ExitCode == 0 && both.Output.Contains("two.pdf", StringComparison.Ordinal), both.ToString());
        }
        if (breakage == "folder removed")
        {
            Directory.Delete(other, recursive: true);
        }
        else if (breakage == "config corrupted")
        {
            File.WriteAllText(Path.Join(other, "config"), "not a config");
        }

        var text = world.Raw("find", "*.pdf");
        var json = world.Raw("find", "*.pdf", "--json");

        foreach (var result in new[] { text, json })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains($"backup: error: cannot search {other}: ", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
            Assert.Contains(Path.Join(first, "one.pdf"), result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("two.pdf", result.Output, StringComparison.Ordinal);
        }
        Assert.Contains("1 match in 1 of 1 snapshot", text.Output, StringComparison.Ordinal);
        var lines = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l)).ToList();
        try
        {
            Assert.Equal(2, lines.Count);
            var found = lines[0].RootElement;
            Assert.Equal(first, found.GetProperty("source").GetString());
            Assert.Equal(Path.Join(first, "one.pdf"), Assert.Single(found.GetProperty("matches").EnumerateArray()).GetProperty("path").GetString());
            var failed = lines[1].RootElement;
            Assert.Equal("error", failed.GetProperty("message_type").GetString());
            Assert.Equal(other, failed.GetProperty("archive").GetString());
            Assert.False(string.IsNullOrEmpty(failed.GetProperty("error").GetString()));
        }
        finally
        {
            lines.ForEach(l => l.Dispose());
        }
    }

    [Fact]
    public void Find_OnlyRepositoryUnreachable_FailsAsAWholeAsBefore()
    {
        using var world = RepositoryProcess.BackedUp();
        world.PasswordValue = "not the password";

        var find = world.Raw("find", "a.txt");

        Assert.True(find.ExitCode == 12, find.ToString());
        Assert.Contains("wrong password", find.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot search", find.Error, StringComparison.Ordinal);
        Assert.Equal("", find.Output);
    }
}

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
}

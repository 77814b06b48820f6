using System.Text.Json;
using Backup.Cli.Tests.Repository;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>run --json</c>: a path line per watched directory, then a summary, and nothing else on stdout.</summary>
public sealed class RunJsonTests
{
    [Fact]
    public void RunJson_ArchivedUnchangedAndFailed_OneLineEachThenSummary()
    {
        using var backup = new BackupProcess();
        var changed = backup.Dir("changed");
        var same = backup.Dir("same");
        var gone = backup.Dir("gone");
        new TestTree(changed).File("a.txt", "a").File("d/b.txt", "bb");
        new TestTree(same).File("s.txt", "s");
        new TestTree(gone).File("g.txt", "g");
        Assert.Equal(0, backup.Run("add", changed, same, gone).ExitCode);
        var first = backup.Run("run", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        File.WriteAllText(Path.Join(changed, "c.txt"), "ccc");
        Directory.Delete(gone, recursive: true);

        var second = backup.Run("run", "--json");

        Assert.True(second.ExitCode == 1, second.ToString());
        var lines = WithoutStatus(second.Output);
        Assert.Equal(4, lines.Count);
        var archived = Line(lines, changed);
        Assert.Equal("archived", archived.GetProperty("status").GetString());
        Assert.Equal(3, archived.GetProperty("files").GetInt64());
        Assert.Equal(6, archived.GetProperty("bytes").GetInt64());
        Assert.Equal(0, archived.GetProperty("problems").GetArrayLength());
        using var snapshots = JsonDocument.Parse(backup.Run("snapshots", "--json").Output);
        var newest = snapshots.RootElement.EnumerateArray().Last(s => s.GetProperty("path").GetString() == changed);
        Assert.Equal(newest.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), archived.GetProperty("snapshot").GetString());
        Assert.Equal(newest.GetProperty("archive").GetString(), archived.GetProperty("archive").GetString());
        Assert.Equal("unchanged", Line(lines, same).GetProperty("status").GetString());
        Assert.False(Line(lines, same).TryGetProperty("snapshot", out _));
        var failed = Line(lines, gone);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("error").GetString()));
        var summary = lines[^1];
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal([1, 1, 1, 3], new[] { "archived", "unchanged", "failed", "total" }.Select(f => summary.GetProperty(f).GetInt32()));
        Assert.Contains(gone, second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RunJson_Repository_SnapshotIsTheShortIdThatSnapshotsLists()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha").File("b/c.txt", "gamma!");
        world.Init();
        world.Add(src);

        var run = world.Expect(0, "run", "--json");

        var lines = WithoutStatus(run.Output);
        Assert.Equal(2, lines.Count);
        var row = Assert.Single(world.Snapshots());
        Assert.Equal("path", lines[0].GetProperty("message_type").GetString());
        Assert.Equal(src, lines[0].GetProperty("path").GetString());
        Assert.Equal("archived", lines[0].GetProperty("status").GetString());
        Assert.Equal(row.Id[..8], lines[0].GetProperty("snapshot").GetString());
        Assert.Equal(2, lines[0].GetProperty("files").GetInt64());
        Assert.Equal(11, lines[0].GetProperty("bytes").GetInt64());
        Assert.Equal(1, lines[1].GetProperty("archived").GetInt32());
        Assert.Equal(1, lines[1].GetProperty("total").GetInt32());
    }

    [Fact]
    public void RunJson_NothingWatched_PrintsAZeroSummary()
    {
        using var backup = new BackupProcess();

        var run = backup.Run("run", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = JsonLinesOutput.Single(run.Output);
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal(0, summary.GetProperty("total").GetInt32());
    }

    private static JsonElement Line(IReadOnlyList<JsonElement> lines, string path) =>
        Assert.Single(lines, l => l.GetProperty("message_type").GetString() == "path" && l.GetProperty("path").GetString() == path);

    /// <summary>The lines of a <c>run --json</c> but its <c>status</c> lines (ProgressTests checks those).</summary>
    private static List<JsonElement> WithoutStatus(string output) =>
        [.. JsonLinesOutput.Parse(output).Where(l => l.GetProperty("message_type").GetString() != "status")];
}

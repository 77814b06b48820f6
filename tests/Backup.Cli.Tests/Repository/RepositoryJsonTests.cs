using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>What ls, diff, check and stats print with <c>--json</c>: every line parses alone and says what was backed up.</summary>
public sealed class RepositoryJsonTests
{
    [Fact]
    public void LsJson_SmallTree_OneObjectPerEntryWithTypeSizeModeAndTarget()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src)
            .File("readme.txt", "hello", UnixFileMode.UserRead | UnixFileMode.UserWrite)
            .File("bin/tool", TestTree.RandomBytes(1234, 2), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
            .Link("latest", "readme.txt");
        var mtime = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        File.SetLastWriteTimeUtc(Path.Join(src, "readme.txt"), mtime.UtcDateTime);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var id = Assert.Single(world.Snapshots()).Id;

        var lines = JsonLinesOutput.Parse(world.Expect(0, "ls", id, "--json").Output);

        Assert.Equal(["bin", "bin/tool", "latest", "readme.txt"], lines.Select(l => l.GetProperty("path").GetString()!).Order(StringComparer.Ordinal));
        var readme = Entry(lines, "readme.txt");
        Assert.Equal("file", readme.GetProperty("type").GetString());
        Assert.Equal(5, readme.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToInt32("600", 8), readme.GetProperty("mode").GetInt32());
        Assert.Equal(mtime, readme.GetProperty("mtime").GetDateTimeOffset());
        Assert.Equal(Convert.ToInt32("700", 8), Entry(lines, "bin/tool").GetProperty("mode").GetInt32());
        Assert.Equal(1234, Entry(lines, "bin/tool").GetProperty("size").GetInt64());
        Assert.Equal("dir", Entry(lines, "bin").GetProperty("type").GetString());
        Assert.Equal("symlink", Entry(lines, "latest").GetProperty("type").GetString());
        Assert.Equal("readme.txt", Entry(lines, "latest").GetProperty("target").GetString());
        Assert.False(readme.TryGetProperty("target", out _));
    }

    [Fact]
    public void DiffJson_AddedRemovedModified_OneObjectEachThenSummary()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("same.txt", "s").File("gone.txt", "12345").File("grow.txt", "ab");
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        File.Delete(Path.Join(src, "gone.txt"));
        File.WriteAllText(Path.Join(src, "grow.txt"), "abcd");
        File.WriteAllText(Path.Join(src, "new.txt"), "123");
        world.Expect(0, "run");
        var ids = world.Snapshots().Select(s => s.Id).ToList();

        var lines = JsonLinesOutput.Parse(world.Expect(0, "diff", ids[0], ids[1], "--json").Output);

        var changes = lines.Where(l => l.GetProperty("message_type").GetString() == "change")
            .ToDictionary(l => l.GetProperty("path").GetString()!, l => l);
        Assert.Equal(["gone.txt", "grow.txt", "new.txt"], changes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("-", changes["gone.txt"].GetProperty("change").GetString());
        Assert.Equal(5, changes["gone.txt"].GetProperty("size_before").GetInt64());
        Assert.Equal("M", changes["grow.txt"].GetProperty("change").GetString());
        Assert.Equal(2, changes["grow.txt"].GetProperty("size_before").GetInt64());
        Assert.Equal(4, changes["grow.txt"].GetProperty("size_after").GetInt64());
        Assert.Equal("+", changes["new.txt"].GetProperty("change").GetString());
        Assert.Equal(3, changes["new.txt"].GetProperty("size_after").GetInt64());
        var summary = lines[^1];
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal([1, 3, 1, 5, 1], new[] { "added", "added_bytes", "removed", "removed_bytes", "modified" }.Select(f => summary.GetProperty(f).GetInt64()));
    }

    [Fact]
    public void CheckJson_ReadData_CountsWhatWasReadAndNoErrors()
    {
        using var world = RepositoryProcess.BackedUp();
        var packs = world.Files("data").Length;

        var json = JsonLinesOutput.Single(world.Expect(0, "check", "--read-data", "--json").Output);

        Assert.Equal(1, json.GetProperty("snapshots").GetInt32());
        Assert.Equal(packs, json.GetProperty("packs").GetInt32());
        Assert.Equal(packs, json.GetProperty("packs_read").GetInt32());
        Assert.True(json.GetProperty("bytes_read").GetInt64() > 0);
        Assert.Equal(0, json.GetProperty("error_count").GetInt32());
        Assert.Equal(0, json.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public void CheckJson_DamagedPack_ErrorsListedAndExitOne()
    {
        using var world = RepositoryProcess.BackedUp();
        var pack = world.Files("data")[0];
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(pack, bytes);

        var result = world.Run("check", "--read-data", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var json = JsonLinesOutput.Single(result.Output);
        Assert.True(json.GetProperty("error_count").GetInt32() > 0);
        Assert.Equal(json.GetProperty("error_count").GetInt32(), json.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public void StatsJson_TwoSnapshotsOfOneTree_LogicalIsTwiceUnique()
    {
        using var world = new RepositoryProcess();
        var src = world.Dir("src");
        new TestTree(src).File("a.bin", TestTree.RandomBytes(50_000, 7));
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        File.SetLastWriteTimeUtc(Path.Join(src, "a.bin"), DateTime.UtcNow.AddHours(-1));
        world.Expect(0, "run");
        Assert.Equal(2, world.Snapshots().Count);

        var json = JsonLinesOutput.Single(world.Expect(0, "stats", "--json").Output);

        Assert.Equal(2, json.GetProperty("snapshots").GetInt32());
        Assert.Equal(100_000, json.GetProperty("logical_bytes").GetInt64());
        Assert.Equal(50_000, json.GetProperty("unique_bytes").GetInt64());
        Assert.Equal(2.0, json.GetProperty("deduplication_ratio").GetDouble());
        Assert.Equal(world.Files("data").Sum(f => new FileInfo(f).Length), json.GetProperty("stored_bytes").GetInt64());
        Assert.True(json.GetProperty("chunks").GetInt32() >= 1);
    }

    private static JsonElement Entry(IReadOnlyList<JsonElement> lines, string path) =>
        Assert.Single(lines, l => l.GetProperty("path").GetString() == path);
}

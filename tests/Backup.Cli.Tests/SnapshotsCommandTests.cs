using System.Globalization;
using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests;

public sealed class SnapshotsCommandTests
{
    [Fact]
    public void Snapshots_PathNeitherWatchedNorBackedUp_SaysSoAndExitsOne()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);

        var result = backup.Run("snapshots", "/nonexistent");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no snapshots of /nonexistent", result.Error, StringComparison.Ordinal);
        Assert.Contains("not watched", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void Snapshots_Json_ExactlySixTypedFieldsNewestLast()
    {
        using var backup = new BackupProcess();
        var a = backup.Dir("a");
        var b = backup.Dir("b");
        new TestTree(a).File("1.txt", "one").File("sub/2.txt", "two!");
        new TestTree(b).File("x.txt", "x");
        Assert.Equal(0, backup.Run("add", a, b).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        File.WriteAllText(Path.Join(a, "3.txt"), "three");
        Assert.Equal(0, backup.Run("run").ExitCode);

        var result = backup.Run("snapshots", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, rows.Length);
        foreach (var row in rows)
        {
            Assert.Equal(["archive", "bytes", "files", "id", "path", "time"], row.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(JsonValueKind.Number, row.GetProperty("id").ValueKind);
            Assert.Equal(JsonValueKind.Number, row.GetProperty("files").ValueKind);
            Assert.Equal(JsonValueKind.Number, row.GetProperty("bytes").ValueKind);
            Assert.Equal(JsonValueKind.String, row.GetProperty("path").ValueKind);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", row.GetProperty("time").GetString());
            Assert.True(File.Exists(row.GetProperty("archive").GetString()));
        }
        var times = rows.Select(r => DateTimeOffset.Parse(r.GetProperty("time").GetString()!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(times.Order(), times);
        var last = rows[^1];
        Assert.Equal(a, last.GetProperty("path").GetString());
        Assert.Equal(3, last.GetProperty("files").GetInt64());
        Assert.Equal(12, last.GetProperty("bytes").GetInt64());
        Assert.Equal(ArchiveFolder.Zips(backup.Archive), rows.Select(r => r.GetProperty("archive").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(rows.Select(r => r.GetProperty("id").GetInt64()).Distinct().Count(), rows.Length);
    }

    [Fact]
    public void Snapshots_PathFilter_ListsOnlyThatDirectory()
    {
        using var backup = new BackupProcess();
        var a = backup.Dir("a");
        var b = backup.Dir("b");
        new TestTree(a).File("1.txt", "one");
        new TestTree(b).File("x.txt", "x");
        Assert.Equal(0, backup.Run("add", a, b).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);

        var result = backup.Run("snapshots", "b/", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        var row = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(b, row.GetProperty("path").GetString());
    }

    [Fact]
    public void Snapshots_CatalogDeleted_IndexesArchiveFolderAndRestoreById()
    {
        using var backup = new BackupProcess();
        var src = backup.Dir("src");
        new TestTree(src).File("a.txt", "a").File("d/b.txt", TestTree.Text(50_000, 5)).Link("l", "a.txt");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        Assert.Equal(0, backup.Run("run").ExitCode);
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        foreach (var file in Directory.EnumerateFiles(backup.Home, "catalog.db*"))
        {
            File.Delete(file);
        }
        var archive = backup.Join("moved-archive");
        Directory.Move(backup.Archive, archive);
        zip = zip.Replace(backup.Archive, archive, StringComparison.Ordinal);

        var result = backup.Run("snapshots", "--archive", archive, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        var row = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(src, row.GetProperty("path").GetString());
        Assert.Equal(zip, row.GetProperty("archive").GetString());
        Assert.Equal(2, row.GetProperty("files").GetInt64());
        var target = backup.Join("restored");
        var restore = backup.Run("restore", row.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), "--target", target);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        TreeAssert.Identical(src, target);
    }
}

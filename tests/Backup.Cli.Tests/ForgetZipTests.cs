using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary><c>forget</c> on a zip folder: retention and ids delete archives, the catalog keeps in step, foreign zips stay.</summary>
public sealed class ForgetZipTests
{
    private const string ForeignZipScript = """
        import sys, zipfile
        with zipfile.ZipFile(sys.argv[1], 'w') as z:
            z.writestr('theirs.txt', 'not made by backup')
        """;

    [Fact]
    public void Forget_KeepLastTwoOnZipFolder_KeepsTheNewestTwoAndEveryForeignZip()
    {
        using var backup = new BackupProcess();
        var src = Snapshots(backup, 4);
        var folder = Path.GetDirectoryName(ArchiveFolder.Zips(backup.Archive)[0])!;
        var foreign = Path.Join(folder, "theirs.zip");
        ArchiveFolder.Python(ForeignZipScript, foreign);
        var zips = ArchiveFolder.Zips(backup.Archive).Where(z => z != foreign).Order(StringComparer.Ordinal).ToArray();

        var dryRun = backup.Run("forget", "--keep-last", "2", "--dry-run");
        var afterDryRun = ArchiveFolder.Zips(backup.Archive).Length;
        var forget = backup.Run("forget", "--keep-last", "2", "--json");
        var snapshots = backup.Run("snapshots", "--json");

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"{src}: keeping 2, removing 2", dryRun.Output, StringComparison.Ordinal);
        Assert.Equal(5, afterDryRun);
        Assert.True(forget.ExitCode == 0, forget.ToString());
        var json = JsonLinesOutput.Single(forget.Output);
        Assert.False(json.GetProperty("dry_run").GetBoolean());
        Assert.Equal([3L, 4L], json.GetProperty("kept").EnumerateArray().Select(k => k.GetProperty("id").GetInt64()));
        Assert.Equal("last", json.GetProperty("kept")[0].GetProperty("reasons")[0].GetString());
        Assert.Equal([1L, 2L], json.GetProperty("removed").EnumerateArray().Select(k => k.GetProperty("id").GetInt64()));
        Assert.Equal(src, json.GetProperty("removed")[0].GetProperty("path").GetString());
        Assert.Equal([zips[2], zips[3], foreign], ArchiveFolder.Zips(backup.Archive).Order(StringComparer.Ordinal));
        Assert.True(snapshots.ExitCode == 0, snapshots.ToString());
        var listed = JsonDocument.Parse(snapshots.Output).RootElement.EnumerateArray().ToList();
        Assert.Equal([3L, 4L], listed.Select(s => s.GetProperty("id").GetInt64()));
        Assert.Equal([zips[2], zips[3]], listed.Select(s => s.GetProperty("archive").GetString()));
    }

    [Fact]
    public void Forget_NewestZipSnapshotById_RemovesItAndTheNextRunSnapshotsTheTreeAgain()
    {
        using var backup = new BackupProcess();
        Snapshots(backup, 2);
        var newest = ArchiveFolder.Zips(backup.Archive).Order(StringComparer.Ordinal).Last();

        var forget = backup.Run("forget", "2");
        var list = backup.Run("list");
        var run = backup.Run("run");

        Assert.True(forget.ExitCode == 0, forget.ToString());
        Assert.Contains("remove  2  ", forget.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(newest));
        Assert.Contains("1 snapshot)", list.Output, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("archived 1 of 1", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void List_ArchiveGoneBeforeItsRowWasDropped_CountsOnlyTheSnapshotsThatExist()
    {
        // What a forget that crashed between deleting an archive and dropping its row leaves.
        using var backup = new BackupProcess();
        Snapshots(backup, 3);
        File.Delete(ArchiveFolder.Zips(backup.Archive).Order(StringComparer.Ordinal).First());

        var list = backup.Run("list");
        var forget = backup.Run("forget", "--keep-last", "1", "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("2 snapshots)", list.Output, StringComparison.Ordinal);
        Assert.True(forget.ExitCode == 0, forget.ToString());
        var json = JsonLinesOutput.Single(forget.Output);
        Assert.Equal([2L], json.GetProperty("removed").EnumerateArray().Select(k => k.GetProperty("id").GetInt64()));
        Assert.Single(ArchiveFolder.Zips(backup.Archive));
    }

    /// <summary>Watches a tree and makes <paramref name="count"/> snapshots of it, one per change; returns its path.</summary>
    private static string Snapshots(BackupProcess backup, int count)
    {
        var src = backup.Dir("src");
        Assert.Equal(0, backup.Run("add", src).ExitCode);
        for (var i = 1; i <= count; i++)
        {
            new TestTree(src).File($"file{i}.txt", $"change {i}");
            var run = backup.Run("run");
            Assert.True(run.ExitCode == 0, run.ToString());
        }
        return src;
    }
}

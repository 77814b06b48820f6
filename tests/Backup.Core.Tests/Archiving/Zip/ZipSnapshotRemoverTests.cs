using Backup.Core.Archiving;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Zip;

/// <summary><see cref="ZipSnapshotRemover"/>: only the catalog's zips inside the archive folder are deleted, and the catalog follows.</summary>
public sealed class ZipSnapshotRemoverTests : IDisposable
{
    private static readonly DateTimeOffset s_time = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly string _root;
    private readonly CatalogStore _catalog;

    public ZipSnapshotRemoverTests()
    {
        _root = _temp.Join("archive");
        Directory.CreateDirectory(Path.Join(_root, "src-1"));
        _catalog = CatalogStore.Open(_temp.Join("catalog.db"));
    }

    [Fact]
    public void Remove_TwoOfThree_DeletesTheirFilesAndRowsAndRewindsTheLastHash()
    {
        var rows = Enumerable.Range(1, 3).Select(i => Record(Path.Join(_root, "src-1", $"{i}.zip"), $"h{i}", i)).ToList();

        var result = ZipSnapshotRemover.Remove(_catalog, _root, [rows[1], rows[2]]);

        Assert.Empty(result.Failures);
        Assert.Equal([rows[0].Archive], Directory.GetFiles(Path.Join(_root, "src-1")));
        Assert.Equal([rows[0].Id], _catalog.ListSnapshots(null).Select(s => s.Id));
        Assert.Equal("h1", Assert.Single(_catalog.GetWatchedPaths(_root)).LastHash);
    }

    [Fact]
    public void RewindBeforeForget_NewestOfAPath_LastHashBecomesThePreviousWhileTheRowsStay()
    {
        // What a crash after the deletions and before the rows are dropped leaves must not make the next check skip the tree.
        var rows = Enumerable.Range(1, 2).Select(i => Record(Path.Join(_root, "src-1", $"{i}.zip"), $"h{i}", i)).ToList();

        _catalog.RewindBeforeForget([rows[1].Archive]);

        Assert.Equal("h1", Assert.Single(_catalog.GetWatchedPaths(_root)).LastHash);
        Assert.Equal(2, _catalog.ListSnapshots(null).Count);
        _catalog.RewindBeforeForget([rows[0].Archive, rows[1].Archive]);
        Assert.Null(Assert.Single(_catalog.GetWatchedPaths(_root)).LastHash);
    }

    [Fact]
    public void Remove_ArchiveOutsideTheFolder_RefusesAndKeepsFileAndRow()
    {
        var outside = _temp.Join("elsewhere", "src-1", "1.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        var row = Record(outside, "h", 1);

        var result = ZipSnapshotRemover.Remove(_catalog, _root, [row]);

        Assert.Contains("not a zip in the archive folder", Assert.Single(result.Failures).Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(outside));
        Assert.Single(_catalog.ListSnapshots(null));
    }

    [Fact]
    public void Remove_FolderSwappedForSymlinkToElsewhere_DeletesNothingThere()
    {
        var row = Record(Path.Join(_root, "src-1", "1.zip"), "h", 1);
        var elsewhere = _temp.Join("elsewhere");
        Directory.Move(Path.Join(_root, "src-1"), elsewhere);
        Directory.CreateSymbolicLink(Path.Join(_root, "src-1"), elsewhere);

        var result = ZipSnapshotRemover.Remove(_catalog, _root, [row]);

        Assert.Single(result.Failures);
        Assert.True(File.Exists(Path.Join(elsewhere, "1.zip")));
        Assert.Single(_catalog.ListSnapshots(null));
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _temp.Dispose();
    }

    /// <summary>Writes a file at <paramref name="archive"/> and records it as a snapshot of /src taken <paramref name="minutes"/> after a fixed time.</summary>
    private SnapshotRecord Record(string archive, string hash, int minutes)
    {
        File.WriteAllText(archive, "zip");
        _catalog.AddPath("/src", s_time);
        var info = new SnapshotInfo { SourcePath = "/src", Time = s_time.AddMinutes(minutes), Hash = hash };
        var id = _catalog.RecordSnapshot("/src", CatalogStore.DestinationOf(archive), new ArchiveResult(archive, info, []), s_time.AddMinutes(minutes));
        return _catalog.FindSnapshot(id)!;
    }
}

using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Monitoring;
using Backup.Testing;

namespace Backup.Core.Tests.Monitoring;

public class ChangeMonitorTests
{
    [Fact]
    public async Task CheckAsync_FirstThenUnchangedThenChanged_ArchivesOnlyOnChange()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("docs")).File("a.txt", "1");
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath(temp.Join("docs"), DateTimeOffset.UtcNow);
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(temp.Join("archive")));

        var first = await monitor.CheckAsync(CancellationToken.None);
        var second = await monitor.CheckAsync(CancellationToken.None);
        File.WriteAllText(temp.Join("docs", "b.txt"), "2");
        var third = await monitor.CheckAsync(CancellationToken.None);

        Assert.Equal(PathStatus.Archived, Assert.Single(first.Outcomes).Status);
        Assert.Equal(PathStatus.Unchanged, Assert.Single(second.Outcomes).Status);
        Assert.Equal(PathStatus.Archived, Assert.Single(third.Outcomes).Status);
        Assert.Equal(2, catalog.ListSnapshots(temp.Join("docs")).Count);
        Assert.Equal(2, Directory.EnumerateFiles(temp.Join("archive"), "*.zip", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task CheckAsync_OnePathVanished_OthersStillArchivedAndRetriedLater()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("gone")).File("a", "1");
        new TestTree(temp.Join("kept")).File("b", "2");
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath(temp.Join("gone"), DateTimeOffset.UtcNow);
        catalog.AddPath(temp.Join("kept"), DateTimeOffset.UtcNow);
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(temp.Join("archive")));
        Directory.Delete(temp.Join("gone"), recursive: true);

        var report = await monitor.CheckAsync(CancellationToken.None);

        var gone = Assert.Single(report.Outcomes, o => o.Path == temp.Join("gone"));
        Assert.Equal(PathStatus.Failed, gone.Status);
        Assert.Contains(temp.Join("gone"), gone.Error, StringComparison.Ordinal);
        Assert.Equal(PathStatus.Archived, Assert.Single(report.Outcomes, o => o.Path == temp.Join("kept")).Status);

        new TestTree(temp.Join("gone")).File("a", "back");
        var retry = await monitor.CheckAsync(CancellationToken.None);
        Assert.Equal(PathStatus.Archived, Assert.Single(retry.Outcomes, o => o.Path == temp.Join("gone")).Status);
    }

    [Fact]
    public async Task CheckAsync_ArchiveFolderInsideWatchedTree_DoesNotArchiveForever()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("home")).File("notes.txt", "1");
        using var catalog = CatalogStore.Open(temp.Join("home", ".local", "c.db"));
        catalog.AddPath(temp.Join("home"), DateTimeOffset.UtcNow);
        var archiveRoot = temp.Join("home", "archive");
        HashSet<string> excluded = [archiveRoot, catalog.Path, catalog.Path + "-wal", catalog.Path + "-shm"];
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(archiveRoot, new ZipArchiverOptions { ExcludedPaths = excluded }), excluded);

        await monitor.CheckAsync(CancellationToken.None);
        var second = await monitor.CheckAsync(CancellationToken.None);

        Assert.Equal(PathStatus.Unchanged, Assert.Single(second.Outcomes).Status);
    }

    [Fact]
    public async Task CheckAsync_CatalogJournalComesAndGoes_DoesNotCountAsChange()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("home")).File("notes.txt", "1");
        var state = temp.Join("home", ".state");
        using var catalog = CatalogStore.Open(Path.Join(state, "c.db"));
        catalog.AddPath(temp.Join("home"), DateTimeOffset.UtcNow);
        HashSet<string> excluded = [temp.Join("archive"), catalog.Path, catalog.Path + "-wal", catalog.Path + "-shm", catalog.Path + "-journal"];
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(temp.Join("archive")), excluded);
        await monitor.CheckAsync(CancellationToken.None);

        // What SQLite does between two processes: a journal file appears and is removed, changing the folder's mtime.
        File.WriteAllText(catalog.Path + "-journal", "x");
        File.Delete(catalog.Path + "-journal");
        Directory.SetLastWriteTimeUtc(state, DateTime.UtcNow.AddMinutes(5));
        var second = await monitor.CheckAsync(CancellationToken.None);

        Assert.Equal(PathStatus.Unchanged, Assert.Single(second.Outcomes).Status);
    }

    [Fact]
    public async Task CheckAsync_WatchedPathInsideArchiveFolder_FailsWithoutArchiving()
    {
        using var temp = new TempDirectory();
        var archiveRoot = temp.Join("archive");
        new TestTree(Path.Join(archiveRoot, "inner")).File("x", "1");
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath(Path.Join(archiveRoot, "inner"), DateTimeOffset.UtcNow);
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(archiveRoot), new HashSet<string> { archiveRoot });

        var outcome = Assert.Single((await monitor.CheckAsync(CancellationToken.None)).Outcomes);

        Assert.Equal(PathStatus.Failed, outcome.Status);
        Assert.Contains("lies inside", outcome.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(archiveRoot, "*.zip", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task CheckAsync_UnwritableArchiveFolder_FailsPathWithMessage()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Path).File("not-a-dir", "x").File("docs/a", "1");
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath(temp.Join("docs"), DateTimeOffset.UtcNow);
        var monitor = new ChangeMonitor(catalog, new ZipArchiver(temp.Join("not-a-dir", "archive")));

        var outcome = Assert.Single((await monitor.CheckAsync(CancellationToken.None)).Outcomes);

        Assert.Equal(PathStatus.Failed, outcome.Status);
        Assert.Contains("not-a-dir", outcome.Error, StringComparison.Ordinal);
        Assert.Null(Assert.Single(catalog.GetWatchedPaths(temp.Join("not-a-dir", "archive"))).LastHash);
    }
}

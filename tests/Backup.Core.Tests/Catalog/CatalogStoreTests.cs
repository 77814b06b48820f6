using Backup.Core.Archiving;
using Backup.Core.Catalog;
using Backup.Testing;
using Microsoft.Data.Sqlite;

namespace Backup.Core.Tests.Catalog;

public class CatalogStoreTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Open_NewFile_CreatesPrivateCatalogAtLatestSchema()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("data", "catalog.db");

        using (CatalogStore.Open(path))
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(temp.Join("data")));
        Assert.Equal(1L, Pragma(path, "user_version"));
        Assert.Equal("wal", Pragma(path, "journal_mode"));
    }

    [Fact]
    public void Open_NotSqlite_ThrowsNamingPath()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("catalog.db"), "just some text, not a database");

        var e = Assert.Throws<BackupException>(() => CatalogStore.Open(temp.Join("catalog.db")));

        Assert.Contains("not an SQLite database", e.Message, StringComparison.Ordinal);
        Assert.Contains(temp.Join("catalog.db"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewerSchema_ThrowsSayingSo()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("catalog.db");
        using (CatalogStore.Open(path))
        {
        }
        Pragma(path, "user_version = 99");

        var e = Assert.Throws<BackupException>(() => CatalogStore.Open(path));

        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRemoveList_RoundTrip()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));

        Assert.True(catalog.AddPath("/b", s_now));
        Assert.True(catalog.AddPath("/a", s_now));
        Assert.False(catalog.AddPath("/a", s_now));
        Assert.Equal(["/a", "/b"], catalog.GetWatchedPaths().Select(p => p.Path));
        Assert.True(catalog.RemovePath("/a"));
        Assert.False(catalog.RemovePath("/a"));
        Assert.Equal(["/b"], catalog.GetWatchedPaths().Select(p => p.Path));
    }

    [Fact]
    public void RecordSnapshot_UpdatesHashAndListsSnapshotsOldestFirst()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath("/src", s_now);

        var second = catalog.RecordSnapshot("/src", Result("/arch/2.zip", s_now.AddMinutes(1), "h2"), s_now);
        var first = catalog.RecordSnapshot("/src", Result("/arch/1.zip", s_now, "h1"), s_now);

        var watched = Assert.Single(catalog.GetWatchedPaths());
        Assert.Equal("h1", watched.LastHash);
        Assert.Equal(2, watched.SnapshotCount);
        Assert.Equal(s_now.AddMinutes(1), watched.LastBackup);
        Assert.Equal([first, second], catalog.ListSnapshots("/src").Select(s => s.Id));
        Assert.Equal("/arch/2.zip", catalog.FindSnapshot(second)!.Archive);
        Assert.Null(catalog.FindSnapshot(999));
    }

    [Fact]
    public void ImportSnapshot_KnownArchive_IsNotDuplicated()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        var result = Result("/arch/1.zip", s_now, "h");

        Assert.NotNull(catalog.ImportSnapshot(result.Archive, result.Info));
        Assert.Null(catalog.ImportSnapshot(result.Archive, result.Info));
        Assert.Single(catalog.ListSnapshots(null));
    }

    [Fact]
    public void RemovePath_KeepsSnapshots()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath("/src", s_now);
        catalog.RecordSnapshot("/src", Result("/arch/1.zip", s_now, "h"), s_now);

        catalog.RemovePath("/src");

        Assert.Single(catalog.ListSnapshots("/src"));
    }

    private static ArchiveResult Result(string archive, DateTimeOffset time, string hash) =>
        new(archive, new SnapshotInfo { SourcePath = "/src", Time = time, Hash = hash, Files = 3, Bytes = 42 }, []);

    private static object? Pragma(string path, string pragma)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        return command.ExecuteScalar();
    }
}

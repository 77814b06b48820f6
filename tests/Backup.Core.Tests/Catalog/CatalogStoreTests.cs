using Backup.Core.Archiving;
using Backup.Core.Catalog;
using Backup.Core.Repositories;
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
        Assert.Equal(3L, Pragma(path, "user_version"));
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

        var second = catalog.RecordSnapshot("/src", "/", Result("/arch/2.zip", s_now.AddMinutes(1), "h2"), s_now);
        var first = catalog.RecordSnapshot("/src", "/", Result("/arch/1.zip", s_now, "h1"), s_now);

        var watched = Assert.Single(catalog.GetWatchedPaths("/"));
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
        catalog.RecordSnapshot("/src", "/", Result("/arch/1.zip", s_now, "h"), s_now);

        catalog.RemovePath("/src");

        Assert.Single(catalog.ListSnapshots("/src"));
    }

    [Fact]
    public void RecordSnapshot_OtherDestination_HasNoLastHash()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath("/src", s_now);

        catalog.RecordSnapshot("/src", "/one", Result("/one/src-1/1.zip", s_now, "h"), s_now);

        Assert.Equal("h", Assert.Single(catalog.GetWatchedPaths("/one")).LastHash);
        Assert.Null(Assert.Single(catalog.GetWatchedPaths("/two")).LastHash);
        Assert.Equal(DestinationKind.Zip, catalog.FindDestination("/one")!.Kind);
        Assert.Null(catalog.FindDestination("/two"));
    }

    [Fact]
    public void RecordRepository_KeepsTheFirstIdentity()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));

        catalog.RecordRepository("/repo", new RepositoryIdentity("id1", "fp1", Encrypted: true), s_now);
        catalog.RecordRepository("/repo", new RepositoryIdentity("id2", "fp2", Encrypted: false), s_now);

        var recorded = catalog.FindDestination("/repo")!;
        Assert.Equal(DestinationKind.Repository, recorded.Kind);
        Assert.Equal(new RepositoryIdentity("id1", "fp1", true), recorded.Identity);
    }

    [Fact]
    public void ForgetSnapshots_LastSnapshotOfPathGone_ClearsItsHash()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath("/src", s_now);
        catalog.RecordSnapshot("/src", "/a", Result("/a/src-1/1.zip", s_now, "h1"), s_now);
        catalog.RecordSnapshot("/src", "/a", Result("/a/src-1/2.zip", s_now.AddMinutes(1), "h2"), s_now);

        Assert.Equal(1, catalog.ForgetSnapshots(["/a/src-1/2.zip"]));
        Assert.Equal("h1", Assert.Single(catalog.GetWatchedPaths("/a")).LastHash); // the newest one left, not the one dropped
        catalog.RecordSnapshot("/src", "/a", Result("/a/src-1/2.zip", s_now.AddMinutes(1), "h2"), s_now);
        Assert.Equal(1, catalog.ForgetSnapshots(["/a/src-1/1.zip"]));
        Assert.Equal("h2", Assert.Single(catalog.GetWatchedPaths("/a")).LastHash);
        Assert.Equal(1, catalog.ForgetSnapshots(["/a/src-1/2.zip", "/a/src-1/missing.zip"]));

        Assert.Null(Assert.Single(catalog.GetWatchedPaths("/a")).LastHash);
        Assert.Empty(catalog.ListSnapshots(null));
    }

    [Fact]
    public void Open_VersionOneCatalog_KeepsEachPathsHashForTheDestinationOfItsSnapshot()
    {
        using var temp = new TempDirectory();
        var path = temp.Join("c.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE watched_paths (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, added_at TEXT NOT NULL, last_hash TEXT, checked_at TEXT);
                CREATE TABLE snapshots (id INTEGER PRIMARY KEY, path TEXT NOT NULL, time TEXT NOT NULL, files INTEGER NOT NULL,
                    bytes INTEGER NOT NULL, archive TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, complete INTEGER NOT NULL);
                CREATE INDEX snapshots_by_path ON snapshots (path, time);
                INSERT INTO watched_paths VALUES (1, '/src', '2026-01-01T00:00:00.0000000Z', 'h2', '2026-01-02T00:00:00.0000000Z');
                INSERT INTO watched_paths VALUES (2, '/other', '2026-01-01T00:00:00.0000000Z', NULL, NULL);
                INSERT INTO snapshots VALUES (1, '/src', '2026-01-01T00:00:00.0000000Z', 1, 1, '/z/arch/src-1a2b3c4d/1.zip', 'h1', 1);
                INSERT INTO snapshots VALUES (2, '/src', '2026-01-02T00:00:00.0000000Z', 1, 1, '/r/repo/snapshots/abcdef', 'h2', 1);
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        using var catalog = CatalogStore.Open(path);

        Assert.Equal(["h2", null], catalog.GetWatchedPaths("/r/repo").OrderByDescending(p => p.Path).Select(p => p.LastHash));
        Assert.Null(catalog.GetWatchedPaths("/z/arch").Single(p => p.Path == "/src").LastHash);
        Assert.Equal(DestinationKind.Zip, catalog.FindDestination("/z/arch")!.Kind);
        Assert.Equal(DestinationKind.Repository, catalog.FindDestination("/r/repo")!.Kind);
        Assert.Null(catalog.FindDestination("/r/repo")!.Identity);
        Assert.All(catalog.GetWatchedPaths(), p => Assert.True(p.Rules.IsEmpty));
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

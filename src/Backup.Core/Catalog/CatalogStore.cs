using System.Globalization;
using Backup.Core.Archiving;
using Backup.Core.Monitoring;
using Microsoft.Data.Sqlite;

namespace Backup.Core.Catalog;

/// <summary>
/// The SQLite catalog: watched paths and an index of snapshots. It is an index, not the truth: the archive folder can
/// rebuild the snapshot rows (<see cref="ImportSnapshot"/>). WAL journal, <c>synchronous=FULL</c> (a finished snapshot's
/// row must survive a power loss), every change in one transaction. Not thread-safe: one instance per thread.
/// </summary>
public sealed partial class CatalogStore : IWatchList, IDisposable
{
    private static ReadOnlySpan<byte> SqliteHeader => "SQLite format 3\0"u8;

    private readonly SqliteConnection _connection;

    private CatalogStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>The catalog file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the catalog at <paramref name="path"/>, creating it (and its folder, mode 0700; the file 0600) if absent and
    /// applying pending migrations. Throws <see cref="BackupException"/> for a file that is not SQLite or whose schema is
    /// newer than this build.
    /// </summary>
    /// <param name="path">The catalog file.</param>
    /// <param name="create">Create the catalog when absent; when false, an absent catalog is a <see cref="BackupException"/>.</param>
    public static CatalogStore Open(string path, bool create = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(path))
        {
            throw new BackupException($"catalog path is a directory: {path}");
        }
        if (!create && !File.Exists(path))
        {
            throw new BackupException($"no catalog at {path} (start with: backup add PATH, or give --db)");
        }
        CreateIfAbsent(path);
        CheckHeader(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
            Migrate(connection, path);
            return new CatalogStore(path, connection);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 /* SQLITE_NOTADB */ or 11 /* SQLITE_CORRUPT */)
        {
            connection.Dispose();
            throw new BackupException($"catalog is not a valid SQLite database: {path}", e);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new BackupException($"cannot open catalog {path}: {e.Message} (check that it and its folder are writable)", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CreateIfAbsent(string path)
    {
        if (File.Exists(path))
        {
            return;
        }
        var folder = System.IO.Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first; it is a catalog like any other.
        }
    }

    private static void CheckHeader(string path)
    {
        Span<byte> header = stackalloc byte[16];
        int n;
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            n = RandomAccess.Read(file, header, 0);
        }
        if (n > 0 && (n < header.Length || !header.SequenceEqual(SqliteHeader)))
        {
            throw new BackupException($"not a catalog (the file is not an SQLite database): {path}");
        }
    }

    private static void Migrate(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction();
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version", transaction), CultureInfo.InvariantCulture);
        if (version > CatalogMigrations.Latest)
        {
            throw new BackupException(
                $"catalog {path} has schema version {version}, newer than this build knows ({CatalogMigrations.Latest}); use a newer backup");
        }
        for (var v = version; v < CatalogMigrations.Latest; v++)
        {
            Execute(connection, CatalogMigrations.All[v], transaction);
            Execute(connection, $"PRAGMA user_version = {v + 1}", transaction);
        }
        transaction.Commit();
    }

    /// <summary>Adds a watched path. Returns false when it was already watched.</summary>
    public bool AddPath(string path, DateTimeOffset now)
    {
        using var command = Command("INSERT INTO watched_paths (path, added_at) VALUES ($path, $now) ON CONFLICT (path) DO NOTHING");
        command.Parameters.AddWithValue("$path", path);
        command.Parameters.AddWithValue("$now", Format(now));
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>Stops watching a path; its snapshots and archives stay. Returns false when it was not watched.</summary>
    public bool RemovePath(string path)
    {
        using var command = Command("DELETE FROM watched_paths WHERE path = $path");
        command.Parameters.AddWithValue("$path", path);
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>Every watched path, without a last hash (<see cref="GetWatchedPaths(string)"/> gives it per destination).</summary>
    public IReadOnlyList<WatchedPath> GetWatchedPaths() => ReadWatchedPaths(null);

    /// <inheritdoc/>
    public IReadOnlyList<WatchedPath> GetWatchedPaths(string destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return ReadWatchedPaths(destination);
    }

    private List<WatchedPath> ReadWatchedPaths(string? destination)
    {
        using var command = Command("""
            SELECT w.path, w.added_at,
                   (SELECT p.last_hash FROM path_states p WHERE p.path = w.path AND p.destination = $destination),
                   MAX(s.time), COUNT(s.id), w.excludes
            FROM watched_paths w LEFT JOIN snapshots s ON s.path = w.path
            GROUP BY w.id ORDER BY w.path
            """);
        command.Parameters.AddWithValue("$destination", (object?)destination ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var paths = new List<WatchedPath>();
        while (reader.Read())
        {
            paths.Add(new WatchedPath(
                reader.GetString(0),
                Parse(reader.GetString(1)),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : Parse(reader.GetString(3)),
                reader.GetInt64(4))
            {
                Rules = Sources.ExcludeRules.FromJson(reader.IsDBNull(5) ? null : reader.GetString(5)),
            });
        }
        return paths;
    }

    /// <inheritdoc/>
    public long RecordSnapshot(string path, string destination, ArchiveResult result, DateTimeOffset checkedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(destination);
        using var transaction = _connection.BeginTransaction();
        var id = InsertSnapshot(result.Archive, destination, result.Info, transaction);
        var kind = result.Info.Format == SnapshotInfo.CurrentFormat ? DestinationKind.Zip : DestinationKind.Repository;
        InsertDestination(destination, kind, checkedAt, transaction);
        using var update = Command("""
            INSERT INTO path_states (path, destination, last_hash, checked_at) VALUES ($path, $destination, $hash, $now)
            ON CONFLICT (path, destination) DO UPDATE SET last_hash = excluded.last_hash, checked_at = excluded.checked_at
            """, transaction);
        update.Parameters.AddWithValue("$hash", result.Info.Hash);
        update.Parameters.AddWithValue("$now", Format(checkedAt));
        update.Parameters.AddWithValue("$path", path);
        update.Parameters.AddWithValue("$destination", destination);
        update.ExecuteNonQuery();
        transaction.Commit();
        return id;
    }

    /// <summary>
    /// What the catalog file at <paramref name="catalogPath"/> knows of <paramref name="root"/>, read without opening it
    /// for writing (no migration, no write lock: a read-only command must not wait for a run that holds the catalog).
    /// Null when there is no such catalog, it predates destinations, or it knows nothing of <paramref name="root"/>.
    /// </summary>
    public static DestinationRecord? PeekDestination(string catalogPath, string root)
    {
        ArgumentNullException.ThrowIfNull(catalogPath);
        if (!File.Exists(catalogPath))
        {
            return null;
        }
        var builder = new SqliteConnectionStringBuilder { DataSource = catalogPath, Pooling = false, Mode = SqliteOpenMode.ReadOnly };
        using var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 10000;");
            using var store = new CatalogStore(catalogPath, connection);
            return store.FindDestination(root);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1 /* SQLITE_ERROR: no such table, a catalog before version 2 */)
        {
            return null;
        }
        catch (SqliteException e)
        {
            throw new BackupException($"cannot read catalog {catalogPath}: {e.Message}", e);
        }
    }

    /// <summary>What the catalog knows of the archive folder <paramref name="root"/>, or null when it never wrote there.</summary>
    public DestinationRecord? FindDestination(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var command = Command("SELECT kind, repository_id, key_fingerprint, encrypted, recorded_at FROM destinations WHERE root = $root");
        command.Parameters.AddWithValue("$root", root);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var kind = reader.GetString(0) == "repository" ? DestinationKind.Repository : DestinationKind.Zip;
        var identity = reader.IsDBNull(1) || reader.IsDBNull(2)
            ? null
            : new Repositories.RepositoryIdentity(reader.GetString(1), reader.GetString(2), !reader.IsDBNull(3) && reader.GetInt64(3) != 0);
        return new DestinationRecord(root, kind, identity, Parse(reader.GetString(4)));
    }

    /// <summary>
    /// Remembers that <paramref name="root"/> is a repository with <paramref name="identity"/>: inserts it, or fills in
    /// the identity of one recorded without it (a catalog from before identities were kept). An identity already
    /// recorded is never replaced; the caller compares it first (<see cref="FindDestination"/>).
    /// </summary>
    /// <param name="root">The repository folder (canonical).</param>
    /// <param name="identity">Who it is.</param>
    /// <param name="now">When it was first used.</param>
    /// <param name="created">True for <c>init</c>, which just made it: what was recorded for that folder before is replaced.</param>
    public void RecordRepository(string root, Repositories.RepositoryIdentity identity, DateTimeOffset now, bool created = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(identity);
        using var transaction = _connection.BeginTransaction();
        if (created)
        {
            using var forget = Command("DELETE FROM destinations WHERE root = $root", transaction);
            forget.Parameters.AddWithValue("$root", root);
            forget.ExecuteNonQuery();
        }
        InsertDestination(root, DestinationKind.Repository, now, transaction);
        using var update = Command("""
            UPDATE destinations SET repository_id = $id, key_fingerprint = $fingerprint, encrypted = $encrypted
            WHERE root = $root AND kind = 'repository' AND repository_id IS NULL
            """, transaction);
        update.Parameters.AddWithValue("$root", root);
        update.Parameters.AddWithValue("$id", identity.Id);
        update.Parameters.AddWithValue("$fingerprint", identity.KeyFingerprint);
        update.Parameters.AddWithValue("$encrypted", identity.Encrypted ? 1 : 0);
        update.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// Drops the rows of snapshots that no longer exist in their destination (forgotten, or deleted by hand); each path's
    /// last hash there becomes that of its newest snapshot left, or goes when none is left, so that its next check
    /// writes one. Returns the rows dropped.
    /// </summary>
    public int ForgetSnapshots(IEnumerable<string> archives)
    {
        ArgumentNullException.ThrowIfNull(archives);
        using var transaction = _connection.BeginTransaction();
        var dropped = 0;
        foreach (var archive in archives)
        {
            using var delete = Command("DELETE FROM snapshots WHERE archive = $archive", transaction);
            delete.Parameters.AddWithValue("$archive", archive);
            dropped += delete.ExecuteNonQuery();
        }
        // A path's hash there becomes that of its newest snapshot left (the next check compares with what is really
        // stored), or goes when none is left, so that the next check writes one.
        using var rewind = Command("""
            UPDATE path_states SET last_hash = (
                SELECT s.hash FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination
                ORDER BY s.time DESC, s.id DESC LIMIT 1)
            WHERE EXISTS (SELECT 1 FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination);
            DELETE FROM path_states WHERE NOT EXISTS (
                SELECT 1 FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination);
            """, transaction);
        rewind.ExecuteNonQuery();
        transaction.Commit();
        return dropped;
    }

    /// <summary>
    /// Adds a row for an archive found in the archive folder that the catalog does not know (a lost or new catalog).
    /// Returns the new id, or null when the archive is already indexed.
    /// </summary>
    public long? ImportSnapshot(string archive, SnapshotInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(archive);
        using var transaction = _connection.BeginTransaction();
        using var exists = Command("SELECT 1 FROM snapshots WHERE archive = $archive", transaction);
        exists.Parameters.AddWithValue("$archive", archive);
        if (exists.ExecuteScalar() is not null)
        {
            return null;
        }
        var id = InsertSnapshot(archive, DestinationOf(archive), info, transaction);
        transaction.Commit();
        return id;
    }

    /// <summary>The archive folder of a snapshot: two levels above its archive (<c>ROOT/dir-hash/time.zip</c>, <c>ROOT/snapshots/id</c>).</summary>
    /// <remarks>A remote repository's snapshot is <c>URL/snapshots/id</c>: cut at the slashes, never normalised as a path.</remarks>
    public static string DestinationOf(string archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (Storage.StoreLocation.IsUrl(archive))
        {
            var folder = archive[..Math.Max(0, archive.LastIndexOf('/'))];
            return folder[..Math.Max(0, folder.LastIndexOf('/'))];
        }
        return System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(archive)) ?? "/";
    }

    /// <summary>The last part of a snapshot's archive: the zip's file name, or the repository snapshot's id.</summary>
    public static string NameOf(string archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        return archive[(archive.LastIndexOf('/') + 1)..];
    }

    /// <summary>Snapshots, oldest first; only those of <paramref name="path"/> when given.</summary>
    public IReadOnlyList<SnapshotRecord> ListSnapshots(string? path)
    {
        using var command = Command(path is null
            ? "SELECT id, path, time, files, bytes, archive, hash, complete FROM snapshots ORDER BY time, id"
            : "SELECT id, path, time, files, bytes, archive, hash, complete FROM snapshots WHERE path = $path ORDER BY time, id");
        if (path is not null)
        {
            command.Parameters.AddWithValue("$path", path);
        }
        return ReadSnapshots(command);
    }

    /// <summary>The snapshot with <paramref name="id"/>, or null.</summary>
    public SnapshotRecord? FindSnapshot(long id)
    {
        using var command = Command("SELECT id, path, time, files, bytes, archive, hash, complete FROM snapshots WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return ReadSnapshots(command).FirstOrDefault();
    }

    /// <inheritdoc/>
    public void Dispose() => _connection.Dispose();

    private void InsertDestination(string root, DestinationKind kind, DateTimeOffset now, SqliteTransaction transaction)
    {
        using var insert = Command("INSERT INTO destinations (root, kind, recorded_at) VALUES ($root, $kind, $now) ON CONFLICT (root) DO NOTHING", transaction);
        insert.Parameters.AddWithValue("$root", root);
        insert.Parameters.AddWithValue("$kind", kind == DestinationKind.Repository ? "repository" : "zip");
        insert.Parameters.AddWithValue("$now", Format(now));
        insert.ExecuteNonQuery();
    }

    private long InsertSnapshot(string archive, string destination, SnapshotInfo info, SqliteTransaction transaction)
    {
        using var insert = Command("""
            INSERT INTO snapshots (path, time, files, bytes, archive, hash, complete, destination)
            VALUES ($path, $time, $files, $bytes, $archive, $hash, $complete, $destination) RETURNING id
            """, transaction);
        insert.Parameters.AddWithValue("$destination", destination);
        insert.Parameters.AddWithValue("$path", info.SourcePath);
        insert.Parameters.AddWithValue("$time", Format(info.Time));
        insert.Parameters.AddWithValue("$files", info.Files);
        insert.Parameters.AddWithValue("$bytes", info.Bytes);
        insert.Parameters.AddWithValue("$archive", archive);
        insert.Parameters.AddWithValue("$hash", info.Hash);
        insert.Parameters.AddWithValue("$complete", info.Complete ? 1 : 0);
        return (long)insert.ExecuteScalar()!;
    }

    private static List<SnapshotRecord> ReadSnapshots(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<SnapshotRecord>();
        while (reader.Read())
        {
            list.Add(new SnapshotRecord(
                reader.GetInt64(0), reader.GetString(1), Parse(reader.GetString(2)), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetString(5), reader.GetString(6), reader.GetInt64(7) != 0));
        }
        return list;
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command.ExecuteScalar();
    }

    // Times are stored as ISO 8601 in UTC with a fixed width, so that text order is time order.
    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

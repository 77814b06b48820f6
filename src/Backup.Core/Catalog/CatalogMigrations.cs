namespace Backup.Core.Catalog;

/// <summary>
/// The catalog's schema as numbered migrations. Migration N brings a catalog from <c>user_version</c> N-1 to N. A
/// migration is never edited once released: a change of schema is a new migration.
/// </summary>
internal static class CatalogMigrations
{
    public static IReadOnlyList<string> All { get; } =
    [
        // 1: watched paths and the snapshots written for them.
        """
        CREATE TABLE watched_paths (
            id          INTEGER PRIMARY KEY,
            path        TEXT NOT NULL UNIQUE,
            added_at    TEXT NOT NULL,
            last_hash   TEXT,
            checked_at  TEXT
        );
        CREATE TABLE snapshots (
            id        INTEGER PRIMARY KEY,
            path      TEXT NOT NULL,
            time      TEXT NOT NULL,
            files     INTEGER NOT NULL,
            bytes     INTEGER NOT NULL,
            archive   TEXT NOT NULL UNIQUE,
            hash      TEXT NOT NULL,
            complete  INTEGER NOT NULL
        );
        CREATE INDEX snapshots_by_path ON snapshots (path, time);
        """,
        // 2: what each archive folder is (a zip folder never turns into a repository, nor back), and the last hash of a
        // path per destination, so that a new destination gets a first snapshot of every path. A snapshot's destination
        // is the folder two levels above its archive (ROOT/<dir>-<hash>/<time>.zip, ROOT/snapshots/<id>). The old
        // watched_paths.last_hash and checked_at columns are no longer read or written (kept: a column is never reused).
        """
        CREATE TABLE destinations (
            root             TEXT PRIMARY KEY,
            kind             TEXT NOT NULL CHECK (kind IN ('zip', 'repository')),
            repository_id    TEXT,
            key_fingerprint  TEXT,
            encrypted        INTEGER,
            recorded_at      TEXT NOT NULL
        );
        CREATE TABLE path_states (
            path         TEXT NOT NULL,
            destination  TEXT NOT NULL,
            last_hash    TEXT NOT NULL,
            checked_at   TEXT NOT NULL,
            PRIMARY KEY (path, destination)
        );
        ALTER TABLE snapshots ADD COLUMN destination TEXT;
        UPDATE snapshots SET destination = rtrim(rtrim(rtrim(rtrim(archive, replace(archive, '/', '')), '/'), replace(rtrim(rtrim(archive, replace(archive, '/', '')), '/'), '/', '')), '/');
        CREATE INDEX snapshots_by_destination ON snapshots (destination, path);
        INSERT INTO destinations (root, kind, recorded_at)
            SELECT destination, CASE WHEN MIN(archive LIKE '%.zip') = 1 THEN 'zip' ELSE 'repository' END, MIN(time)
            FROM snapshots GROUP BY destination;
        INSERT INTO path_states (path, destination, last_hash, checked_at)
            SELECT w.path, s.destination, w.last_hash, COALESCE(w.checked_at, s.time)
            FROM watched_paths w JOIN snapshots s ON s.id = (
                SELECT id FROM snapshots WHERE path = w.path AND hash = w.last_hash ORDER BY time DESC, id DESC LIMIT 1)
            WHERE w.last_hash IS NOT NULL;
        """,
        // 3: what each watched path leaves out of its snapshots (add --exclude and friends): a JSON object, see
        // ExcludeRules.ToJson; NULL for none. An --exclude-file is read when the path is added; its patterns are stored here.
        """
        ALTER TABLE watched_paths ADD COLUMN excludes TEXT;
        """,
    ];

    public static int Latest => All.Count;
}

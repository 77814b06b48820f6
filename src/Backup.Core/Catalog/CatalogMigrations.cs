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
    ];

    public static int Latest => All.Count;
}

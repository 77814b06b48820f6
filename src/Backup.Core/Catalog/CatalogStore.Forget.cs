namespace Backup.Core.Catalog;

/// <summary>Forgetting zip snapshots: the catalog's side of deleting their archives.</summary>
public sealed partial class CatalogStore
{
    /// <summary>
    /// The first step of forgetting the snapshots whose archives are <paramref name="archives"/>, taken before any archive is
    /// deleted: each path's last hash in their destination becomes that of its newest snapshot that is not being
    /// forgotten, or goes when none is left, so that a crash after the deletions (rows left, archives gone) never makes
    /// the next check skip a tree because it matches a snapshot that no longer exists. The rows stay until
    /// <see cref="ForgetSnapshots"/> drops them, once their archives are gone. One transaction.
    /// </summary>
    public void RewindBeforeForget(IReadOnlyCollection<string> archives)
    {
        ArgumentNullException.ThrowIfNull(archives);
        using var transaction = _connection.BeginTransaction();
        using (var create = Command("CREATE TEMP TABLE IF NOT EXISTS forgetting (archive TEXT PRIMARY KEY); DELETE FROM forgetting;", transaction))
        {
            create.ExecuteNonQuery();
        }
        foreach (var archive in archives)
        {
            using var insert = Command("INSERT OR IGNORE INTO forgetting (archive) VALUES ($archive)", transaction);
            insert.Parameters.AddWithValue("$archive", archive);
            insert.ExecuteNonQuery();
        }
        // Only the states of the paths and destinations whose snapshots are forgotten.
        using var rewind = Command("""
            CREATE TEMP TABLE IF NOT EXISTS rewound (path TEXT, destination TEXT); DELETE FROM rewound;
            INSERT INTO rewound SELECT DISTINCT s.path, s.destination FROM snapshots s JOIN forgetting f ON s.archive = f.archive;
            UPDATE path_states SET last_hash = (
                SELECT s.hash FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination
                    AND s.archive NOT IN (SELECT archive FROM forgetting)
                ORDER BY s.time DESC, s.id DESC LIMIT 1)
            WHERE EXISTS (SELECT 1 FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination
                    AND s.archive NOT IN (SELECT archive FROM forgetting))
                AND EXISTS (SELECT 1 FROM rewound r WHERE r.path = path_states.path AND r.destination = path_states.destination);
            DELETE FROM path_states WHERE EXISTS (SELECT 1 FROM rewound r WHERE r.path = path_states.path AND r.destination = path_states.destination)
                AND NOT EXISTS (
                SELECT 1 FROM snapshots s WHERE s.path = path_states.path AND s.destination = path_states.destination
                    AND s.archive NOT IN (SELECT archive FROM forgetting));
            DELETE FROM forgetting; DELETE FROM rewound;
            """, transaction);
        rewind.ExecuteNonQuery();
        transaction.Commit();
    }
}

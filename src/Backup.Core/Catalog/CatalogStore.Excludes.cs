using Backup.Core.Sources;

namespace Backup.Core.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>
    /// Watches <paramref name="path"/>, in one transaction: adds it if new, and when <paramref name="update"/> is not
    /// null replaces the rules it had with what <paramref name="update"/> makes of them (null keeps them). Returns
    /// whether it was added, and its rules before (<see cref="ExcludeRules.None"/> for a new path) and after.
    /// </summary>
    public (bool Added, ExcludeRules Before, ExcludeRules After) WatchPath(string path, DateTimeOffset now, Func<ExcludeRules, ExcludeRules>? update)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var transaction = _connection.BeginTransaction();
        using var read = Command("SELECT excludes FROM watched_paths WHERE path = $path", transaction);
        read.Parameters.AddWithValue("$path", path);
        var existing = read.ExecuteScalar();
        var added = existing is null;
        var before = added ? ExcludeRules.None : ExcludeRules.FromJson(existing as string);
        if (added)
        {
            using var insert = Command("INSERT INTO watched_paths (path, added_at) VALUES ($path, $now)", transaction);
            insert.Parameters.AddWithValue("$path", path);
            insert.Parameters.AddWithValue("$now", Format(now));
            insert.ExecuteNonQuery();
        }
        var rules = update?.Invoke(before);
        if (rules is not null)
        {
            using var write = Command("UPDATE watched_paths SET excludes = $excludes WHERE path = $path", transaction);
            write.Parameters.AddWithValue("$path", path);
            write.Parameters.AddWithValue("$excludes", (object?)rules.ToJson() ?? DBNull.Value);
            write.ExecuteNonQuery();
        }
        transaction.Commit();
        return (added, before, rules ?? before);
    }
}

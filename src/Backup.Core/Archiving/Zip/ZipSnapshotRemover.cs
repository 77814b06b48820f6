using Backup.Core.Catalog;
using Backup.Core.Posix;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Forgets zip snapshots: deletes their archive files and drops their catalog rows, in the order that a crash cannot
/// harm. First the paths' last hashes are rewound (<see cref="CatalogStore.RewindBeforeForget"/>), then each archive is
/// deleted and its folder flushed, then the rows go (<see cref="CatalogStore.ForgetSnapshots"/>). A crash in between
/// leaves rows whose archives are gone, which <see cref="CatalogRefresh"/> drops (<c>list</c>, <c>snapshots</c>,
/// <c>restore</c> and the next <c>forget</c> run it), and never an archive that the catalog forgot.
/// Only an archive that the catalog lists is deleted, and only when its path is <c>ROOT/FOLDER/NAME.zip</c> inside the
/// archive folder given: <c>ROOT</c> is opened, <c>FOLDER</c> is opened from it with <c>O_NOFOLLOW</c>, and
/// <c>NAME.zip</c> is removed with <c>unlinkat</c> only when it is a regular file, so a symlink planted in the folder
/// leads nowhere and nothing outside it is deleted.
/// </summary>
public static class ZipSnapshotRemover
{
    /// <summary>What a removal did.</summary>
    /// <param name="Removed">The snapshots whose archives are gone and rows dropped.</param>
    /// <param name="Failures">The snapshots left as they were, each with the reason.</param>
    public sealed record Result(IReadOnlyList<SnapshotRecord> Removed, IReadOnlyList<(SnapshotRecord Snapshot, string Reason)> Failures);

    /// <summary>
    /// Removes <paramref name="snapshots"/>, rows of <paramref name="catalog"/> whose archives lie in
    /// <paramref name="archiveRoot"/>. One that cannot be removed (outside the folder, not a regular file, permission
    /// denied, its folder not found) is listed in <see cref="Result.Failures"/> and the others are still removed; an archive
    /// folder that cannot be opened throws before anything changes. Not thread-safe; the
    /// caller holds the catalog's work lock, so that no check records a snapshot meanwhile.
    /// </summary>
    public static Result Remove(CatalogStore catalog, string archiveRoot, IReadOnlyList<SnapshotRecord> snapshots)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(archiveRoot);
        ArgumentNullException.ThrowIfNull(snapshots);
        var failures = new List<(SnapshotRecord, string)>();
        var inside = new List<(SnapshotRecord Snapshot, string Folder, string Name)>();
        foreach (var snapshot in snapshots)
        {
            if (Split(archiveRoot, snapshot.Archive) is { } parts)
            {
                inside.Add((snapshot, parts.Folder, parts.Name));
            }
            else
            {
                failures.Add((snapshot, $"its archive {EntryName.Escape(snapshot.Archive)} is not a zip in the archive folder {EntryName.Escape(archiveRoot)}"));
            }
        }
        if (inside.Count == 0)
        {
            return new Result([], failures);
        }
        // Opened first: a folder that cannot be opened (a disk not mounted) changes nothing, not even the hashes.
        var removed = new List<SnapshotRecord>();
        using (var root = DirectoryHandle.Open(archiveRoot))
        {
            catalog.RewindBeforeForget([.. inside.Select(i => i.Snapshot.Archive)]);
            foreach (var group in inside.GroupBy(i => i.Folder, StringComparer.Ordinal))
            {
                DeleteIn(root, archiveRoot, group.Key, [.. group], removed, failures);
            }
        }
        catalog.ForgetSnapshots(removed.Select(r => r.Archive));
        return new Result(removed, failures);
    }

    private static void DeleteIn(
        DirectoryHandle root, string archiveRoot, string folderName, List<(SnapshotRecord Snapshot, string Folder, string Name)> archives,
        List<SnapshotRecord> removed, List<(SnapshotRecord, string)> failures)
    {
        var folderPath = Path.Join(archiveRoot, folderName);
        DirectoryHandle? folder;
        try
        {
            folder = root.OpenDirectory(folderName, folderPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.AddRange(archives.Select(a => (a.Snapshot, $"its folder {EntryName.Escape(folderPath)} cannot be opened safely: {e.Message}")));
            return;
        }
        if (folder is null)
        {
            // As CatalogRefresh does: a per-path folder out of sight says nothing of its archives, so their rows stay.
            failures.AddRange(archives.Select(a => (a.Snapshot, $"its folder {EntryName.Escape(folderPath)} cannot be found: its row is kept")));
            return;
        }
        using (folder)
        {
            var deleted = 0;
            foreach (var (snapshot, _, name) in archives)
            {
                var full = Path.Join(folderPath, name);
                try
                {
                    var status = folder.TryStat(name, full);
                    if (status is { Type: not FileType.File })
                    {
                        failures.Add((snapshot, $"{EntryName.Escape(full)} is not a regular file: it was left"));
                        continue;
                    }
                    if (status is not null)
                    {
                        folder.Delete(name, full);
                        deleted++;
                    }
                    removed.Add(snapshot);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add((snapshot, e.Message));
                }
            }
            if (deleted > 0)
            {
                folder.Flush(folderPath); // the deletions are on disk before the rows go
            }
        }
    }

    /// <summary>The folder and file names of <paramref name="archive"/> when it is <c>ROOT/FOLDER/NAME.zip</c>, one component each; else null.</summary>
    private static (string Folder, string Name)? Split(string archiveRoot, string archive)
    {
        var prefix = archiveRoot.TrimEnd('/') + "/";
        if (!archive.StartsWith(prefix, StringComparison.Ordinal) || !archive.EndsWith(ZipArchiver.Extension, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = archive[prefix.Length..].Split('/');
        return parts.Length == 2 && parts.All(p => p.Length > 0 && p != "." && p != ".." && !p.StartsWith('.'))
            ? (parts[0], parts[1])
            : null;
    }
}

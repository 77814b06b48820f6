using Backup.Core.Archiving.Trees;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// What changed between two snapshots of one repository, path by path in ordinal order: added (<c>+</c>), removed
/// (<c>-</c>) or modified (<c>M</c>: type, size, mode, mtime, content, link target or extended attributes differ).
/// Shared by <c>backup diff</c> and the web page.
/// </summary>
internal static class SnapshotDiff
{
    /// <summary>One changed path; <paramref name="Was"/> is null when added, <paramref name="Now"/> when removed.</summary>
    public sealed record Change(string Kind, string Path, RestoreEntry? Was, RestoreEntry? Now);

    /// <summary>The changes from <paramref name="older"/> to <paramref name="newer"/>.</summary>
    public static async Task<List<Change>> CompareAsync(Repository repository, SnapshotObject older, SnapshotObject newer, CancellationToken cancellationToken)
    {
        var reader = new SnapshotReader(repository);
        var before = (await reader.ListAsync(older, cancellationToken)).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var after = (await reader.ListAsync(newer, cancellationToken)).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var changes = new List<Change>();
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (was, now) = (before.GetValueOrDefault(path), after.GetValueOrDefault(path));
            var kind = was is null ? "+" : now is null ? "-" : Changed((TreeNode)was.Source, (TreeNode)now.Source) ? "M" : null;
            if (kind is not null)
            {
                changes.Add(new Change(kind, path, was, now));
            }
        }
        return changes;
    }

    private static bool Changed(TreeNode a, TreeNode b) =>
        a.Type != b.Type || a.Size != b.Size || a.Mode != b.Mode || a.MtimeNs != b.MtimeNs
        || !(a.Content ?? []).SequenceEqual(b.Content ?? []) || !(a.Target ?? []).AsSpan().SequenceEqual(b.Target ?? [])
        || !a.DecodeXattrs().SequenceEqual(b.DecodeXattrs(), XattrComparer.Instance);

    private sealed class XattrComparer : IEqualityComparer<Backup.Core.Posix.Xattr>
    {
        public static readonly XattrComparer Instance = new();

        public bool Equals(Backup.Core.Posix.Xattr? x, Backup.Core.Posix.Xattr? y) =>
            x is not null && y is not null && x.Name.AsSpan().SequenceEqual(y.Name) && x.Value.AsSpan().SequenceEqual(y.Value);

        public int GetHashCode(Backup.Core.Posix.Xattr obj) => obj.Name.Length;
    }
}

namespace Backup.Core.Restore;

/// <summary>A path to restore as a hard link to <see cref="TargetPath"/>, a file the same restore writes first.</summary>
/// <param name="Entry">The entry of the link (its path, and its group's shared metadata).</param>
/// <param name="TargetPath">The first path of the group in path order: written as a file, never a link itself.</param>
public sealed record HardLink(RestoreEntry Entry, string TargetPath)
{
    /// <summary>
    /// Takes out of <paramref name="files"/> every file of a <see cref="RestoreEntry.HardLinkGroup"/> but the group's
    /// first by path, and returns them as links to it, in path order. A group of one stays a plain file.
    /// </summary>
    internal static List<HardLink> Split(List<RestoreEntry> files)
    {
        var links = new List<HardLink>();
        var grouped = files.Where(f => f.HardLinkGroup is not null).GroupBy(f => f.HardLinkGroup, StringComparer.Ordinal);
        var linked = new HashSet<RestoreEntry>(ReferenceEqualityComparer.Instance);
        foreach (var group in grouped)
        {
            var members = group.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            foreach (var member in members.Skip(1))
            {
                links.Add(new HardLink(member, members[0].Path));
                linked.Add(member);
            }
        }
        files.RemoveAll(linked.Contains);
        links.Sort((a, b) => string.CompareOrdinal(a.Entry.Path, b.Entry.Path));
        return links;
    }
}

using Backup.Core.Archiving.Zip;
using Backup.Core.Posix;
using Backup.Core.Restore;

namespace Backup.Core.Find;

/// <summary>Finds the entries of a zip snapshot that a pattern matches, from its central directory alone (no content is read).</summary>
public static class ZipFinder
{
    /// <summary>
    /// The entries of <paramref name="archive"/>, a snapshot of <paramref name="sourcePath"/>, that any of
    /// <paramref name="patterns"/> matches, in the archive's order. An entry whose name restore would refuse is
    /// reported to <paramref name="unreadable"/> and left out. Throws <see cref="InvalidDataException"/> for a damaged zip.
    /// </summary>
    public static IReadOnlyList<FoundEntry> Find(string archive, string sourcePath, IReadOnlyList<PathPattern> patterns, Action<string> unreadable)
    {
        ArgumentNullException.ThrowIfNull(sourcePath);
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(unreadable);
        using var reader = ZipReader.Open(archive);
        var root = sourcePath.TrimEnd('/');
        var found = new List<FoundEntry>();
        foreach (var entry in reader.ReadEntries())
        {
            string path;
            try
            {
                path = RestorePlan.Normalize(entry.Name);
            }
            catch (UnsafeArchiveException e)
            {
                unreadable(e.Message);
                continue;
            }
            var full = root + "/" + path;
            var name = path[(path.LastIndexOf('/') + 1)..];
            if (patterns.Any(p => p.Matches(name, full)))
            {
                found.Add(new FoundEntry(full, entry.Type, entry.Permissions, entry.Type == FileType.File ? entry.Size : 0, entry.MtimeNs));
            }
        }
        return found;
    }
}

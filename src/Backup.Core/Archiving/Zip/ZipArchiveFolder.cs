namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Reads what an archive folder holds without any catalog: every <c>*.zip</c> one level down, with the
/// <see cref="SnapshotInfo"/> from its comment. The folder is the source of truth; the catalog only indexes it.
/// </summary>
public static class ZipArchiveFolder
{
    /// <summary>One archive found: its path and metadata, or why it could not be read.</summary>
    public sealed record Found(string Archive, SnapshotInfo? Info, string? Error);

    /// <summary>
    /// Lists the snapshot archives below <paramref name="archiveRoot"/>, skipping hidden (partial) files and paths in
    /// <paramref name="skip"/> (archives already indexed, which need not be opened). Nothing when the folder does not exist.
    /// </summary>
    public static IEnumerable<Found> Scan(string archiveRoot, IReadOnlySet<string> skip)
    {
        ArgumentNullException.ThrowIfNull(skip);
        if (!Directory.Exists(archiveRoot))
        {
            yield break;
        }
        foreach (var folder in Directory.EnumerateDirectories(archiveRoot).Order(StringComparer.Ordinal))
        {
            foreach (var archive in Directory.EnumerateFiles(folder, "*" + ZipArchiver.Extension).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(archive).StartsWith('.') || skip.Contains(archive))
                {
                    continue;
                }
                yield return Read(archive);
            }
        }
    }

    /// <summary>Reads the metadata of one archive.</summary>
    public static Found Read(string archive)
    {
        try
        {
            using var reader = ZipReader.Open(archive);
            var info = SnapshotInfo.TryParse(reader.Comment);
            return info is null ? new Found(archive, null, "not an archive written by backup (no snapshot metadata in its comment)") : new Found(archive, info, null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return new Found(archive, null, e.Message);
        }
    }
}

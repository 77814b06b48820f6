namespace Backup.Core.Snapshots;

/// <summary>
/// How a snapshot is named to the user (docs/design.md, "Snapshot ids"): a repository snapshot by the first
/// <see cref="ShortLength"/> hex digits of its repository id, a zip snapshot by its catalog number. Whatever is printed
/// is accepted back by every command that takes a snapshot.
/// </summary>
public static class SnapshotIds
{
    /// <summary>The hex digits of a repository id that outputs show (restic's width).</summary>
    public const int ShortLength = 8;

    /// <summary>The fewest hex digits accepted as a prefix of a repository id (as for key ids).</summary>
    public const int MinimumPrefix = 4;

    /// <summary>The first <see cref="ShortLength"/> digits of <paramref name="id"/> (all of it when shorter).</summary>
    public static string Short(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id[..Math.Min(ShortLength, id.Length)];
    }

    /// <summary>
    /// The repository id of the snapshot whose archive is <paramref name="archive"/> (<c>ROOT/snapshots/ID</c>), or null
    /// for a zip archive.
    /// </summary>
    public static string? RepositoryIdOf(string archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var slash = archive.LastIndexOf('/');
        var name = archive[(slash + 1)..];
        var folder = slash > 0 ? archive[..slash] : "";
        return folder.EndsWith("/snapshots", StringComparison.Ordinal) && name.Length == 64 && IsHex(name) ? name : null;
    }

    /// <summary>The id to show for a snapshot with catalog number <paramref name="catalogId"/> stored at <paramref name="archive"/>.</summary>
    public static string Display(long catalogId, string archive) =>
        RepositoryIdOf(archive) is { } id ? Short(id) : catalogId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="text"/> is made of hex digits only (either case) and not empty.</summary>
    public static bool IsHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length > 0 && text.All(char.IsAsciiHexDigit);
    }
}

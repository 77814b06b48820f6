using System.Globalization;
using Backup.Core;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// A snapshot as the user named it on the command line: a catalog number (<c>7</c>), a prefix of 4 or more hex digits
/// of a repository snapshot id (<c>3f2a9c1e</c>), <c>latest</c>, or <c>latest:PATH</c> (the newest snapshot of that
/// watched path). A number of 4 digits or more may be both a catalog number and a prefix; the resolver looks for both.
/// </summary>
/// <param name="Text">What the user wrote.</param>
/// <param name="Number">The catalog number, or null.</param>
/// <param name="Prefix">The hex prefix (lower case), or null.</param>
/// <param name="Latest">True for <c>latest</c> and <c>latest:PATH</c>.</param>
/// <param name="LatestPath">The PATH of <c>latest:PATH</c> as written, or null.</param>
internal sealed record SnapshotReference(string Text, long? Number, string? Prefix, bool Latest, string? LatestPath)
{
    /// <summary>What every command's help says a snapshot may be.</summary>
    public const string Help = "A catalog number, 4 or more hex digits of a snapshot id, latest, or latest:PATH (see 'backup snapshots')";

    private const string Forms = "give a catalog number, 4 or more hex digits of a snapshot id, latest, or latest:PATH ('backup snapshots' lists them)";

    /// <summary>Parses <paramref name="text"/>; throws <see cref="BackupException"/> (exit 1) for an id too short or not an id.</summary>
    public static SnapshotReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "latest")
        {
            return new(text, null, null, true, null);
        }
        if (text.StartsWith("latest:", StringComparison.Ordinal))
        {
            var path = text["latest:".Length..];
            if (path.Length == 0)
            {
                throw new BackupException($"snapshot id '{text}' names no path: write latest:PATH, or latest");
            }
            return new(text, null, null, true, path);
        }
        // A catalog number never starts with 0, so "008" can only be (too short) hex.
        long? number = text.Length is > 0 and < 19 && text[0] != '0' && text.All(char.IsAsciiDigit)
            ? long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
        if (!SnapshotIds.IsHex(text))
        {
            throw new BackupException($"'{text}' is not a snapshot id: {Forms}");
        }
        if (text.Length < SnapshotIds.MinimumPrefix && number is null)
        {
            throw new BackupException($"snapshot id '{text}' is too short: {Forms}");
        }
        var prefix = text.Length >= SnapshotIds.MinimumPrefix ? text.ToLowerInvariant() : null;
        return new(text, number, prefix, false, null);
    }

    /// <summary>True when <paramref name="repositoryId"/> matches this reference's prefix.</summary>
    public bool MatchesPrefix(string repositoryId) =>
        Prefix is not null && repositoryId.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The error for a reference that matched nothing <paramref name="where"/> ("in the repository at R").</summary>
    public BackupException Unknown(string where) => new($"no snapshot '{Text}' {where}; 'backup snapshots' lists them");

    /// <summary>The error for a reference that matched several snapshots, listing them.</summary>
    public BackupException Ambiguous(IEnumerable<string> candidates) =>
        new($"snapshot id '{Text}' is ambiguous: it matches {string.Join(", ", candidates)}; give more digits");
}

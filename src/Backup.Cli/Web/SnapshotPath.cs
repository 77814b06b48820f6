using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// A path inside a snapshot as the page sends it: '/'-separated and relative to the snapshot's root. It is refused,
/// never repaired, when it could name anything outside the snapshot or something else than it says: an absolute path,
/// a <c>..</c> or <c>.</c> component, an empty component, a NUL or other control character, more than 4096 characters.
/// Anything else is a name, matched byte for byte against the snapshot's tree (<c>SnapshotPaths</c>): a query value
/// arrives decoded once, and nothing decodes it again or takes a backslash for a separator, so a file literally named
/// <c>a%2Fb</c>, <c>%2E%2E</c> or <c>x\y</c> (legal on Linux) is that file, never a slash, the parent or two components.
/// </summary>
internal static class SnapshotPath
{
    private const int MaxLength = 4096;

    /// <summary>"" for the root (null, empty), else the path; throws <see cref="WebRequestException"/> (400) naming it.</summary>
    public static string Normalize(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return "";
        }
        if (raw.Length > MaxLength)
        {
            throw Refused(raw, "it is too long");
        }
        if (raw.StartsWith('/'))
        {
            throw Refused(raw, "it is absolute; give it relative to the snapshot");
        }
        if (raw.Any(char.IsControl))
        {
            throw Refused(raw, "it holds a control character");
        }
        var parts = raw.Split('/');
        foreach (var part in parts)
        {
            if (part is "" or "." or "..")
            {
                throw Refused(raw, part.Length == 0 ? "it has an empty component" : $"it has a '{part}' component");
            }
        }
        return raw;
    }

    private static WebRequestException Refused(string raw, string why) =>
        new(StatusCodes.Status400BadRequest, $"path '{Formatting.Path(raw.Length > 200 ? raw[..200] + "…" : raw)}' refused: {why}");
}

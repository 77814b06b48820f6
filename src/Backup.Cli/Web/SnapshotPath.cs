using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// A path inside a snapshot as the page sends it: '/'-separated and relative to the snapshot's root. It is refused,
/// never repaired, when it could name anything outside the snapshot or something else than it says: an absolute path,
/// a <c>..</c> or <c>.</c> component, an empty component, a backslash, a NUL or other control character (an encoded
/// slash, <c>%2F</c>, arrives decoded in the query and is a slash like any other; one that was encoded twice arrives
/// as <c>%2F</c> and is refused by the percent sign check).
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
        if (raw.Any(c => char.IsControl(c) || c == '\\'))
        {
            throw Refused(raw, "it holds a control character or a backslash");
        }
        if (raw.Contains("%2f", StringComparison.OrdinalIgnoreCase) || raw.Contains("%5c", StringComparison.OrdinalIgnoreCase) || raw.Contains("%2e", StringComparison.OrdinalIgnoreCase))
        {
            throw Refused(raw, "it holds an encoded slash or dot");
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

using System.Globalization;
using System.Text.RegularExpressions;

namespace Backup.Core.Storage;

/// <summary>
/// Where a remote store is, parsed from a URL (docs/repository.md, "Stores"): <c>s3://bucket/prefix</c> or
/// <c>sftp://[user@]host[:port]/path</c>. <see cref="Text"/> is its one spelling, used in messages and as the
/// catalog's key. A URL never carries a password or secret: those come from the SDK's chain or the SSH key.
/// </summary>
public sealed partial record StoreLocation
{
    private StoreLocation(StoreScheme scheme, string text)
    {
        Scheme = scheme;
        Text = text;
    }

    /// <summary>Which kind of store.</summary>
    public StoreScheme Scheme { get; }

    /// <summary>The canonical URL: lowercase scheme and host, no default port, no trailing or doubled slashes.</summary>
    public string Text { get; }

    /// <summary>The S3 bucket.</summary>
    public string Bucket { get; private init; } = "";

    /// <summary>The S3 key prefix, without leading or trailing slash ("" for the whole bucket).</summary>
    public string Prefix { get; private init; } = "";

    /// <summary>The SFTP host.</summary>
    public string Host { get; private init; } = "";

    /// <summary>The SFTP port (22 unless given).</summary>
    public int Port { get; private init; } = 22;

    /// <summary>The SFTP user; null to use the local user's name.</summary>
    public string? User { get; private init; }

    /// <summary>The SFTP folder: absolute (<c>/srv/backup</c>), or relative to the login folder when the URL says <c>/~/</c>.</summary>
    public string Path { get; private init; } = "";

    /// <summary>True when <paramref name="text"/> is written as a URL (<c>scheme://…</c>), which is never a local path.</summary>
    public static bool IsUrl(string text) => UrlPrefix().IsMatch(text);

    /// <summary>
    /// Parses a store URL. Throws <see cref="FormatException"/> naming what is wrong: an unknown scheme, a missing
    /// bucket or host, a password in the URL, a bucket name S3 does not allow.
    /// </summary>
    public static StoreLocation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = UrlPrefix().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"not a store URL: '{text}' (expected s3://bucket/prefix or sftp://user@host/path)");
        }
        var scheme = match.Groups[1].Value.ToLowerInvariant();
        var rest = text[match.Length..];
        return scheme switch
        {
            "s3" => ParseS3(text, rest),
            "sftp" => ParseSftp(text, rest),
            _ => throw new FormatException($"unknown store scheme '{scheme}://' in '{text}': this build knows s3:// and sftp://, and plain paths for local folders"),
        };
    }

    private static StoreLocation ParseS3(string text, string rest)
    {
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : string.Join('/', rest[(slash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries));
        if (bucket.Length == 0)
        {
            throw new FormatException($"no bucket in '{text}' (expected s3://bucket/prefix)");
        }
        if (!BucketName().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            throw new FormatException($"'{bucket}' is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens): {text}");
        }
        if (prefix.Split('/').Any(p => p is "." or ".."))
        {
            throw new FormatException($"'.' and '..' are not allowed in an S3 prefix: {text}");
        }
        return new StoreLocation(StoreScheme.S3, prefix.Length == 0 ? $"s3://{bucket}" : $"s3://{bucket}/{prefix}")
        {
            Bucket = bucket,
            Prefix = prefix,
        };
    }

    private static StoreLocation ParseSftp(string text, string rest)
    {
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[slash..];
        string? user = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = Uri.UnescapeDataString(authority[..at]);
            authority = authority[(at + 1)..];
            if (user.Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"a password in an sftp:// URL is not supported (use an SSH key: --ssh-identity): {Redact(text)}");
            }
            if (user.Length == 0)
            {
                throw new FormatException($"empty user name in '{text}'");
            }
        }
        var port = 22;
        var host = authority;
        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && !authority.EndsWith(']'))
        {
            host = authority[..colon];
            if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new FormatException($"invalid port '{authority[(colon + 1)..]}' in '{text}'");
            }
        }
        host = host.ToLowerInvariant();
        if (host.Length == 0 || Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            throw new FormatException($"no valid host in '{text}' (expected sftp://user@host[:port]/path)");
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException($"no folder in '{text}': give the repository's path on the server (sftp://host/srv/backup, or sftp://host/~/backup under the login folder)");
        }
        if (parts.Any(p => p is "." or ".."))
        {
            throw new FormatException($"'.' and '..' are not allowed in an sftp:// path: {text}");
        }
        var relative = parts[0] == "~";
        var folder = relative ? string.Join('/', parts[1..]) : "/" + string.Join('/', parts);
        if (folder.Length == 0)
        {
            throw new FormatException($"no folder under '~' in '{text}'");
        }
        var canonical = $"sftp://{(user is null ? "" : Uri.EscapeDataString(user) + "@")}{host}{(port == 22 ? "" : ":" + port.ToString(CultureInfo.InvariantCulture))}/{(relative ? "~/" + folder : folder.TrimStart('/'))}";
        return new StoreLocation(StoreScheme.Sftp, canonical) { Host = host, Port = port, User = user, Path = folder };
    }

    private static string Redact(string text) => RedactPassword().Replace(text, "$1:***@");

    /// <inheritdoc/>
    public override string ToString() => Text;

    [GeneratedRegex("^([a-zA-Z][a-zA-Z0-9+.-]*)://")]
    private static partial Regex UrlPrefix();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex("^(sftp://[^:/@]*):[^@/]*@")]
    private static partial Regex RedactPassword();
}

using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backup.Storage.Sftp;

/// <summary>
/// The host keys of an OpenSSH known_hosts file (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): plain host lists with
/// <c>*</c>/<c>?</c> wildcards and <c>!</c> negation, <c>[host]:port</c> for ports other than 22, hashed names
/// (<c>|1|salt|hmac-sha1</c>) and <c>@revoked</c> lines. <c>@cert-authority</c> lines are skipped: certificates are not
/// accepted. Immutable after loading; thread-safe.
/// </summary>
internal sealed class KnownHosts
{
    private readonly List<Entry> _entries;

    private KnownHosts(List<Entry> entries) => _entries = entries;

    /// <summary>Loads <paramref name="path"/>; a missing file knows no host. Lines it cannot parse are skipped, as ssh does.</summary>
    public static KnownHosts Load(string path)
    {
        if (!File.Exists(path))
        {
            return new KnownHosts([]);
        }
        return Parse(File.ReadAllLines(path));
    }

    /// <summary>Parses the lines of a known_hosts file.</summary>
    public static KnownHosts Parse(IEnumerable<string> lines)
    {
        var entries = new List<Entry>();
        foreach (var raw in lines)
        {
            var fields = raw.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#'))
            {
                continue;
            }
            var revoked = false;
            if (fields[0].StartsWith('@'))
            {
                if (fields[0] != "@revoked")
                {
                    continue;
                }
                revoked = true;
                fields = fields[1..];
            }
            if (fields.Length < 3 || !TryDecode(fields[2], out var key) || KeyType(key) != fields[1])
            {
                continue;
            }
            entries.Add(new Entry(fields[0], fields[1], key, revoked));
        }
        return new KnownHosts(entries);
    }

    /// <summary>The name ssh looks a host up by: <c>host</c> on port 22, else <c>[host]:port</c>.</summary>
    public static string HostName(string host, int port) =>
        port == 22 ? host : $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Checks <paramref name="key"/> (the SSH wire encoding of a public key, as in a known_hosts line) for
    /// <paramref name="host"/> on <paramref name="port"/>. A revoked key wins over everything, then a matching key.
    /// </summary>
    public KnownHostsMatch Check(string host, int port, ReadOnlySpan<byte> key)
    {
        var name = HostName(host, port);
        var type = KeyType(key);
        var result = KnownHostsMatch.Unknown;
        foreach (var entry in _entries)
        {
            if (entry.Revoked)
            {
                if (key.SequenceEqual(entry.Key))
                {
                    return KnownHostsMatch.Revoked;
                }
                continue;
            }
            if (entry.Type != type || !Matches(entry.Hosts, name))
            {
                continue;
            }
            if (key.SequenceEqual(entry.Key))
            {
                result = KnownHostsMatch.Known;
            }
            else if (result == KnownHostsMatch.Unknown)
            {
                result = KnownHostsMatch.Changed;
            }
        }
        return result;
    }

    /// <summary>The key type named inside an SSH public key blob (its first string), or "" when it is malformed.</summary>
    public static string KeyType(ReadOnlySpan<byte> key)
    {
        if (key.Length < 4)
        {
            return "";
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(key);
        return length > 64 || length > key.Length - 4 ? "" : Encoding.ASCII.GetString(key.Slice(4, (int)length));
    }

    private static bool Matches(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            return MatchesHashed(hosts, name);
        }
        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            var glob = negated ? pattern[1..] : pattern;
            if (!Glob(glob.ToLowerInvariant(), name))
            {
                continue;
            }
            if (negated)
            {
                return false;
            }
            matched = true;
        }
        return matched;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "OpenSSH's hashed known_hosts format is HMAC-SHA1; it hides names, it does not authenticate.")]
    private static bool MatchesHashed(string hosts, string name)
    {
        var parts = hosts.Split('|');
        if (parts.Length != 4 || !TryDecode(parts[2], out var salt) || !TryDecode(parts[3], out var hash))
        {
            return false;
        }
        var computed = HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(name));
        return CryptographicOperations.FixedTimeEquals(computed, hash);
    }

    /// <summary>OpenSSH's match_pattern: <c>*</c> any run of characters, <c>?</c> one character.</summary>
    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (true)
        {
            if (pattern.IsEmpty)
            {
                return text.IsEmpty;
            }
            if (pattern[0] == '*')
            {
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Glob(pattern[1..], text[i..]))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (text.IsEmpty || (pattern[0] != '?' && pattern[0] != text[0]))
            {
                return false;
            }
            pattern = pattern[1..];
            text = text[1..];
        }
    }

    private static bool TryDecode(string base64, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(base64);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private sealed record Entry(string Hosts, string Type, byte[] Key, bool Revoked);
}

using System.Globalization;
using System.Text;
using Backup.Core;

namespace Backup.Cli;

/// <summary>
/// The systemd service that <c>backup service install</c> writes (docs/design.md, "Running under systemd"): it runs
/// <see cref="Command"/> as <c>Type=notify</c> with a watchdog, restarts it on failure, and confines it: the whole file
/// system read-only (<c>ProtectSystem=strict</c>, <c>ProtectHome=read-only</c>: a backup reads everywhere it watches)
/// except <see cref="WritablePaths"/>, a private /tmp, no new privileges. Values are written as systemd.syntax(7)
/// and systemd.service(5) read them: <c>%</c> doubled everywhere, <c>$</c> doubled in the command line, words with
/// anything but plain characters in double quotes with C escapes.
/// </summary>
internal sealed record SystemdUnit
{
    /// <summary>
    /// The watchdog's timeout. Two minutes: the daemon's loop turns every 30 s at most (every quarter of this under the
    /// watchdog), so only a loop stuck for minutes is restarted; a snapshot in progress is restarted only when it has
    /// counted no progress for a minute (<see cref="Backup.Core.Monitoring.LoopHeartbeat"/>).
    /// </summary>
    public static readonly TimeSpan DefaultWatchdog = TimeSpan.FromMinutes(2);

    /// <summary>The credential name under which a system unit passes the repository password file.</summary>
    public const string PasswordCredential = "backup-password";

    /// <summary>A user unit (started by the user's manager, <c>WantedBy=default.target</c>) rather than a system one.</summary>
    public required bool User { get; init; }

    /// <summary>The <c>Description=</c>: free text.</summary>
    public required string Description { get; init; }

    /// <summary>The command line: the executable first, then its arguments, each one word.</summary>
    public required IReadOnlyList<CommandWord> Command { get; init; }

    /// <summary>Folders the service may write (they must exist when it starts): the archive folder, the catalog's folder.</summary>
    public required IReadOnlyList<string> WritablePaths { get; init; }

    /// <summary>Folders the service may write when they exist (written with systemd's <c>-</c>): the repository cache, the single-file bundle's folder.</summary>
    public IReadOnlyList<string> OptionalWritablePaths { get; init; } = [];

    /// <summary>Folders whose mounts must be up before the service starts.</summary>
    public IReadOnlyList<string> MountsFor { get; init; } = [];

    /// <summary>The password file a system unit hands the daemon as a credential (<c>LoadCredential=</c>), or null.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>Variables set for the daemon (<c>Environment=</c>), such as where it keeps its web page's token.</summary>
    public IReadOnlyList<(string Name, string Value)> Environment { get; init; } = [];

    /// <summary>True when the destination is on the network: the unit then waits for <c>network-online.target</c>.</summary>
    public bool Network { get; init; }

    /// <summary>The watchdog's timeout.</summary>
    public TimeSpan Watchdog { get; init; } = DefaultWatchdog;

    /// <summary>
    /// <c>PrivateTmp=yes</c>: the service sees a /tmp and /var/tmp of its own. Off when it must read or write something
    /// there (<see cref="NeedsSharedTmp"/>), which a private /tmp would hide.
    /// </summary>
    public bool PrivateTmp { get; init; } = true;

    /// <summary>True when one of <paramref name="paths"/> is /tmp or /var/tmp or below them.</summary>
    public static bool NeedsSharedTmp(IEnumerable<string> paths) =>
        paths.Any(p => p is "/tmp" or "/var/tmp" || p.StartsWith("/tmp/", StringComparison.Ordinal) || p.StartsWith("/var/tmp/", StringComparison.Ordinal));

    /// <summary>The unit file's text.</summary>
    /// <exception cref="BackupException">A path holds a character that a unit cannot carry (a control character; in a path list, a quote or a backslash).</exception>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# Written by `backup service install`; `backup service uninstall` stops and removes it.\n");
        text.Append("# Change it with `systemctl").Append(User ? " --user" : "").Append(" edit`, or install it again.\n");
        text.Append("[Unit]\n");
        text.Append("Description=").Append(Specifiers(OneLine(Description))).Append('\n');
        if (Network)
        {
            text.Append("Wants=network-online.target\nAfter=network-online.target\n");
        }
        foreach (var path in MountsFor)
        {
            text.Append("RequiresMountsFor=").Append(PathWord(path)).Append('\n');
        }
        text.Append("\n[Service]\n");
        text.Append("Type=notify\n");
        text.Append("NotifyAccess=main\n");
        text.Append("ExecStart=").Append(string.Join(' ', Command.Select(CommandText))).Append('\n');
        text.Append("Restart=on-failure\n");
        text.Append("RestartSec=10s\n");
        // The daemon is ready after its first pass over the watched paths: a first snapshot of a large tree takes hours.
        text.Append("TimeoutStartSec=infinity\n");
        text.Append(CultureInfo.InvariantCulture, $"WatchdogSec={(long)Watchdog.TotalSeconds}s\n");
        if (PasswordFile is not null)
        {
            // The rest of a LoadCredential= line is the path as written (no quotes): only a control character is refused.
            _ = PathWord(PasswordFile);
            text.Append("LoadCredential=").Append(PasswordCredential).Append(':').Append(Specifiers(PasswordFile)).Append('\n');
        }
        foreach (var (name, value) in Environment)
        {
            text.Append("Environment=").Append(PathWord($"{name}={value}")).Append('\n');
        }
        text.Append("Nice=10\nIOSchedulingClass=best-effort\nIOSchedulingPriority=7\n");
        text.Append("ProtectSystem=strict\n");
        text.Append("ProtectHome=read-only\n");
        foreach (var path in WritablePaths)
        {
            text.Append("ReadWritePaths=").Append(PathWord(path)).Append('\n');
        }
        foreach (var path in OptionalWritablePaths)
        {
            text.Append("ReadWritePaths=-").Append(PathWord(path)).Append('\n');
        }
        text.Append(PrivateTmp ? "PrivateTmp=yes\n" : "# PrivateTmp= is off: the service reads or writes below /tmp or /var/tmp.\n");
        text.Append("NoNewPrivileges=yes\n");
        text.Append("ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectControlGroups=yes\n");
        text.Append("RestrictSUIDSGID=yes\nRestrictRealtime=yes\nLockPersonality=yes\n");
        text.Append("\n[Install]\n");
        text.Append("WantedBy=").Append(User ? "default.target" : "multi-user.target").Append('\n');
        return text.ToString();
    }

    /// <summary>One word of <c>ExecStart=</c>, as written (<c>%</c>, <c>$</c> and quotes escaped), or raw (a specifier such as <c>%d</c>).</summary>
    public sealed record CommandWord(string Value, bool Raw = false);

    /// <summary>A word of a command line: plain when it holds only characters systemd takes as they are, else quoted.</summary>
    public static string CommandText(CommandWord word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Raw)
        {
            return word.Value;
        }
        var value = word.Value;
        if (value.Length > 0 && value.All(IsPlain) && value != ";")
        {
            return Specifiers(value).Replace("$", "$$", StringComparison.Ordinal);
        }
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '%' => "%%",
                '$' => "$$",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>
    /// A path in a list setting (<c>ReadWritePaths=</c>, <c>RequiresMountsFor=</c>): quoted when it holds a space, <c>%</c>
    /// doubled. Those settings take no escapes, so a quote, a backslash or a control character is refused.
    /// </summary>
    public static string PathWord(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Any(c => c is '"' or '\\' or '\'' || char.IsControl(c)))
        {
            throw new BackupException($"{Formatting.Path(path)} cannot be written in a systemd unit (it holds a quote, a backslash or a control character): choose a folder without one");
        }
        var word = Specifiers(path);
        return path.Any(char.IsWhiteSpace) ? $"\"{word}\"" : word;
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ',' or ':' or '=' or '@' or '%' or '$' || c > 127 && !char.IsWhiteSpace(c) && !char.IsControl(c);

    private static string Specifiers(string text) => text.Replace("%", "%%", StringComparison.Ordinal);

    private static string OneLine(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Backup.Cli;

/// <summary>
/// What every command shares: where output goes (the seam that tests capture), the environment and the clock. The catalog and archive paths are resolved here, once, from options, environment and defaults.
/// </summary>
internal sealed class CliContext(TextWriter output, TextWriter error, Func<string, string?> environment, TimeProvider time)
{
    public TextWriter Output { get; } = output;
    private TextWriter _error = error;

    /// <summary>Standard error: what the user reads of warnings and errors (while progress is drawn live, written above it).</summary>
    public TextWriter Error => Volatile.Read(ref _error);

    /// <summary>
    /// Sends what is written to <see cref="Error"/> through <paramref name="wrap"/>'s writer until the returned scope
    /// ends: the live progress display writes each line above itself instead of through its drawing.
    /// </summary>
    public IDisposable InterposeError(Func<TextWriter, TextWriter> wrap)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        var before = Error;
        Volatile.Write(ref _error, wrap(before));
        return new ErrorRestore(this, before);
    }

    private sealed class ErrorRestore(CliContext context, TextWriter before) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref context._error, before);
    }
    public TimeProvider Time { get; } = time;

    /// <summary>
    /// Loggers for the engine. Only the daemon logs (to stderr, with timestamps); one-shot commands print their own
    /// output, and log only with BACKUP_LOG=debug. Under systemd ($JOURNAL_STREAM set) lines carry journald's
    /// priority prefix in place of the time and level.
    /// </summary>
    public ILoggerFactory CreateLoggers(bool daemon)
    {
        var debug = environment("BACKUP_LOG") == "debug";
        if (!daemon && !debug)
        {
            return NullLoggerFactory.Instance;
        }
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(debug ? LogLevel.Debug : LogLevel.Information)
            .AddFilter("Backup.Core.Archiving", debug ? LogLevel.Debug : LogLevel.Warning)
            .AddConsole(o =>
            {
                o.FormatterName = DaemonLogFormatter.FormatterName;
                o.LogToStandardErrorThreshold = LogLevel.Trace;
            })
            .Services.AddSingleton<ConsoleFormatter>(new DaemonLogFormatter(Time, showCategory: debug, journal: !string.IsNullOrEmpty(environment("JOURNAL_STREAM")))));
    }

    /// <summary>--db, else $BACKUP_DB, else $XDG_DATA_HOME/backup/catalog.db, else ~/.local/share/backup/catalog.db.</summary>
    public string CatalogPath(string? option)
    {
        var chosen = NonEmpty(option) ?? NonEmpty(environment("BACKUP_DB"));
        if (chosen is not null)
        {
            return FullPath(chosen);
        }
        var data = NonEmpty(environment("XDG_DATA_HOME")) ?? Path.Join(Home(), ".local", "share");
        return FullPath(Path.Join(data, "backup", "catalog.db"));
    }

    /// <summary>
    /// --archive, else $BACKUP_ARCHIVE, else archive/ beside the catalog; canonical (every symlink resolved, for a folder
    /// not made yet its parent's), so that the catalog knows a destination by one name however it is spelled.
    /// </summary>
    public string ArchivePath(string? option, string catalogPath)
    {
        var chosen = NonEmpty(option) ?? NonEmpty(environment("BACKUP_ARCHIVE"));
        if (chosen is not null && Backup.Core.Storage.StoreLocation.IsUrl(chosen))
        {
            try
            {
                return Backup.Core.Storage.StoreLocation.Parse(chosen).Text;
            }
            catch (FormatException e)
            {
                throw new Backup.Core.BackupException(e.Message, ExitCodes.Usage);
            }
        }
        return Canonical(chosen is not null ? FullPath(chosen) : Path.Join(Path.GetDirectoryName(catalogPath), "archive"));
    }

    /// <summary><paramref name="path"/> with symlinks resolved; for a path that does not exist yet, its parent's.</summary>
    public static string Canonical(string path) => Backup.Core.Storage.StoreLocation.IsUrl(path) ? path :
        Backup.Core.Posix.PosixFile.RealPath(path)
        ?? Path.Join(Backup.Core.Posix.PosixFile.RealPath(Path.GetDirectoryName(path)!) ?? Path.GetDirectoryName(path), Path.GetFileName(path));

    /// <summary>An absolute, normalised path: '~' expanded, relative paths resolved, trailing slashes dropped.</summary>
    public string FullPath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Home() + path[1..];
        }
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? Path.TrimEndingDirectorySeparator(full) : full;
    }

    /// <summary>
    /// The form in which a watched path is stored and compared: <see cref="FullPath"/>, then every symlink resolved when
    /// the path exists, so that a directory reached through a link is one watched path, not two.
    /// </summary>
    public string WatchedPath(string path)
    {
        var full = FullPath(path);
        return Backup.Core.Posix.PosixFile.RealPath(full) ?? full;
    }

    /// <summary>Where remote repositories are cached: $XDG_CACHE_HOME/backup, else ~/.cache/backup.</summary>
    public string CacheRoot() => FullPath(Path.Join(NonEmpty(environment("XDG_CACHE_HOME")) ?? Path.Join(Home(), ".cache"), "backup"));

    /// <summary>An environment variable, or null.</summary>
    public string? Variable(string name) => environment(name);

    /// <summary>The home folder: $HOME, else the account's.</summary>
    public string Home() => NonEmpty(environment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

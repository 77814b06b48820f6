using System.CommandLine;
using Backup.Core;
using Backup.Core.Posix;
using Backup.Cli.Notifications;
using Backup.Cli.Web;
using Word = Backup.Cli.SystemdUnit.CommandWord;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup service install [--user] [--archive DIR] PATH...</c>: writes the unit that runs <c>backup daemon --watch</c>
/// over the catalog and the paths given, with this executable's full path and every path absolute, then enables and
/// starts it where systemd runs. Nothing is written before every path has been checked.
/// </summary>
internal static class ServiceInstall
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static Command Create(CliContext context)
    {
        var user = ServiceCommand.User();
        var name = ServiceCommand.Name();
        var archive = GlobalOptions.Archive();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the unit and write nothing" };
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.OneOrMore, Description = "Directories the service watches" };
        var command = new Command("install", "Write a systemd unit that runs 'backup daemon --watch' over PATH..., and enable and start it") { user, name, archive, dryRun, paths };
        // The daemon's notifications and web page, passed on to its command line as given (checked here first).
        var notify = new NotificationOptions();
        var web = new WebOptions();
        var daemonOptions = notify.All.Concat(web.All).ToList();
        foreach (var option in daemonOptions)
        {
            command.Options.Add(option);
        }
        command.Validators.Add(web.Validate);
        command.SetAction(parse =>
        {
            var asUser = parse.GetValue(user);
            var unitName = ServiceCommand.UnitName(parse.GetValue(name)!);
            var watched = Resolve(context, parse.GetValue(paths)!);
            if (watched is null)
            {
                return ExitCodes.Failure;
            }
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            var archiveRoot = context.ArchivePath(parse.GetValue(archive), db);
            var listen = web.Parse(context, parse, readCertificate: false);
            var unit = PassOn(context, parse, daemonOptions, Unit(context, parse, asUser, db, archiveRoot, watched), listen is not null);
            var text = unit.Render();
            if (parse.GetValue(dryRun))
            {
                context.Output.Write(text);
                return ExitCodes.Ok;
            }
            var path = Path.Join(ServiceCommand.UnitDirectory(context, asUser), unitName);
            foreach (var folder in unit.WritablePaths)
            {
                // ReadWritePaths= must exist when the service starts; made as the daemon would make them.
                Directory.CreateDirectory(folder, Private);
            }
            Write(path, text);
            context.Output.WriteLine($"wrote {Formatting.Path(path)}:");
            context.Output.Write(text);
            return Start(context, asUser, unitName);
        });
        return command;
    }

    /// <summary>Every path as the catalog will store it, or null (each problem printed) when one is not a directory.</summary>
    private static List<string>? Resolve(CliContext context, string[] raw)
    {
        var resolved = new List<string>();
        var failed = false;
        foreach (var path in raw)
        {
            try
            {
                resolved.Add(AddCommand.Resolve(context, path));
            }
            catch (BackupException e)
            {
                context.Error.WriteLine($"backup: cannot watch {Formatting.Path(context.FullPath(path))}: {e.Message}; no service was written");
                failed = true;
            }
        }
        return failed ? null : [.. resolved.Distinct(StringComparer.Ordinal)];
    }

    private static SystemdUnit Unit(CliContext context, ParseResult parse, bool user, string db, string archiveRoot, List<string> watched)
    {
        var remote = Stores.IsRemote(archiveRoot);
        var catalogFolder = Path.GetDirectoryName(db)!;
        var words = new List<Word>(Executable().Select(e => new Word(e)))
        {
            new("daemon"), new("--watch"), new("--db"), new(db), new("--archive"), new(archiveRoot),
        };
        string? credential = null;
        // A repository made with --no-encryption (as the catalog recorded it) opens without a password, and refuses one.
        if (Stores.HoldsRepository(archiveRoot) && Backup.Core.Catalog.CatalogStore.PeekDestination(db, archiveRoot)?.Identity is not { Encrypted: false })
        {
            credential = Password(context, parse, user, words);
        }
        foreach (var (option, value) in new[] { ("--s3-endpoint", parse.GetValue(GlobalOptions.S3Endpoint)), ("--s3-region", parse.GetValue(GlobalOptions.S3Region)) })
        {
            if (value is not null)
            {
                words.AddRange([new(option), new(value)]);
            }
        }
        if (parse.GetValue(GlobalOptions.SshIdentity) is { } identity)
        {
            words.AddRange([new("--ssh-identity"), new(context.FullPath(identity))]);
        }
        words.AddRange(watched.Select(p => new Word(p)));
        List<string> writable = remote ? [catalogFolder] : [archiveRoot, catalogFolder];
        return new SystemdUnit
        {
            User = user,
            Description = $"backup: continuous snapshots of {string.Join(", ", watched.Select(Formatting.Path))}",
            Command = words,
            WritablePaths = [.. writable.Distinct(StringComparer.Ordinal)],
            OptionalWritablePaths = remote ? [context.CacheRoot(), BundleFolder(context)] : [BundleFolder(context)],
            MountsFor = [.. writable.Distinct(StringComparer.Ordinal)],
            PasswordFile = credential,
            Network = remote,
            PrivateTmp = !SystemdUnit.NeedsSharedTmp([.. watched, .. writable]),
        };
    }

    /// <summary>
    /// The unit with the daemon options given to install (notifications, the web listener) on its command line, each as
    /// given but for files, made absolute. A webhook needs the network; a listener needs its token's folder writable
    /// (below a read-only home) and the same <c>$XDG_CONFIG_HOME</c> as this shell, so that the token this user reads
    /// is the one the service checks.
    /// </summary>
    private static SystemdUnit PassOn(CliContext context, ParseResult parse, IReadOnlyList<Option> options, SystemdUnit unit, bool listening)
    {
        var words = unit.Command.ToList();
        var given = new List<Word>();
        foreach (var option in options)
        {
            if (parse.GetResult(option) is not { Implicit: false } result)
            {
                continue;
            }
            given.Add(new(option.Name));
            given.AddRange(result.Tokens.Select(t => new Word(option.Name is "--tls-cert" or "--tls-key" ? context.FullPath(t.Value) : t.Value)));
        }
        if (given.Count == 0)
        {
            return unit;
        }
        // Before the paths, after "daemon --watch ...": the paths are the command's last words.
        words.InsertRange(words.IndexOf(new Word("--watch")) + 1, given);
        unit = unit with { Command = words, Network = unit.Network || parse.GetResult(options.Single(o => o.Name == "--webhook")) is { Implicit: false } };
        if (!listening)
        {
            return unit;
        }
        var tokenFolder = Path.GetDirectoryName(WebToken.PathFor(context))!;
        return unit with
        {
            WritablePaths = [.. unit.WritablePaths, tokenFolder],
            Environment = [.. unit.Environment, ("XDG_CONFIG_HOME", Path.GetDirectoryName(tokenFolder)!)],
        };
    }

    /// <summary>
    /// Where a single-file <c>backup</c> unpacks its native libraries at its first start after an update
    /// ($DOTNET_BUNDLE_EXTRACT_BASE_DIR, else ~/.net): below a read-only home the updated service could not start.
    /// </summary>
    private static string BundleFolder(CliContext context) =>
        context.FullPath(context.Variable("DOTNET_BUNDLE_EXTRACT_BASE_DIR") is { Length: > 0 } chosen ? chosen : Path.Join(context.Home(), ".net"));

    /// <summary>
    /// The executable and, when this runs as <c>dotnet backup.dll</c>, the assembly: the unit must start what runs now,
    /// wherever the working folder and PATH of systemd are.
    /// </summary>
    private static string[] Executable()
    {
        var process = Environment.ProcessPath ?? throw new BackupException("the path of the running executable is unknown: cannot write a service");
        if (Path.GetFileName(process) is not ("dotnet" or "dotnet.exe"))
        {
            return [process];
        }
        var assembly = typeof(ServiceInstall).Assembly.Location;
        return assembly.Length > 0 && File.Exists(assembly) ? [process, assembly]
            : throw new BackupException($"running through {process} without an assembly file: install the backup executable (README, 'Install the backup command') and run its 'service install'");
    }

    /// <summary>
    /// Adds how the daemon reads the repository password to <paramref name="words"/>: a password file (handed by a
    /// system unit as a credential, so the daemon reads it from systemd's private copy), or the password command.
    /// Returns the file a system unit loads, or null. A password only in $BACKUP_PASSWORD is refused: a unit must not hold it.
    /// </summary>
    private static string? Password(CliContext context, ParseResult parse, bool user, List<Word> words)
    {
        if ((parse.GetValue(Passwords.File) ?? NonEmpty(context.Variable("BACKUP_PASSWORD_FILE"))) is { } given)
        {
            var file = context.FullPath(given);
            if (!File.Exists(file))
            {
                throw new BackupException($"password file does not exist: {Formatting.Path(file)}");
            }
            if ((File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new BackupException($"password file {Formatting.Path(file)} can be read or written by other users: chmod 600 it before a service uses it");
            }
            words.AddRange(user ? [new("--password-file"), new(file)] : [new("--password-file"), new($"%d/{SystemdUnit.PasswordCredential}", Raw: true)]);
            return user ? null : file;
        }
        if (parse.GetValue(Passwords.Command) is { } command)
        {
            words.AddRange([new("--password-command"), new(command)]);
            return null;
        }
        throw new BackupException(
            "the archive is a repository: the service needs its password from a file that only its owner can read; give --password-file FILE (chmod 600)"
            + (NonEmpty(context.Variable("BACKUP_PASSWORD")) is null ? "" : " ($BACKUP_PASSWORD is not written into a unit)")
            + " or --password-command COMMAND", ExitCodes.Usage);
    }

    /// <summary>Writes the unit whole: a temporary name in its folder, flushed, renamed, the folder flushed. Mode 0644 as systemd's own.</summary>
    private static void Write(string path, string text)
    {
        var folder = Path.GetDirectoryName(path)!;
        var temporary = Path.Join(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            File.Delete(temporary);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            }))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            PosixFile.FlushDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            var hint = e is UnauthorizedAccessException ? " (a system service is installed as root; --user installs one for you)" : "";
            throw new BackupException($"cannot write {Formatting.Path(path)}: {e.Message}{hint}");
        }
    }

    /// <summary>Enables and starts the unit where systemd runs, else says what to run; --no-block: the first pass may take hours.</summary>
    private static int Start(CliContext context, bool user, string unit)
    {
        var commands = $"{ServiceCommand.Systemctl(user, "daemon-reload")} && {ServiceCommand.Systemctl(user, "enable --now " + unit)}";
        if (!ServiceCommand.ManagesUnits(context))
        {
            var why = string.IsNullOrEmpty(context.Variable(ServiceCommand.UnitDirVariable)) ? "systemd is not running here" : $"${ServiceCommand.UnitDirVariable} is set";
            context.Output.WriteLine($"{why}: not started; to start it, run: {commands}");
            return ExitCodes.Ok;
        }
        if (ServiceCommand.RunSystemctl(context, user, "daemon-reload") != 0
            || ServiceCommand.RunSystemctl(context, user, "enable", "--now", "--no-block", unit) != 0)
        {
            throw new BackupException($"the unit is written but systemctl failed: fix what it said, then run: {commands}");
        }
        context.Output.WriteLine($"started {unit}: {ServiceCommand.Systemctl(user, "status " + unit)} shows its state, journalctl {(user ? "--user " : "")}-u {unit} its log");
        return ExitCodes.Ok;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>
/// The real <c>backup</c> executable run against a private world: its own temp folder holding HOME, XDG_DATA_HOME, the
/// catalog (BACKUP_DB) and the archive folder (BACKUP_ARCHIVE), so that no test sees another's state.
/// </summary>
internal sealed class BackupProcess : IDisposable
{
    /// <summary>Generous bound for one command; a hang fails the test instead of blocking the suite.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private const string Nobody = "65534";

    private readonly TempDirectory _temp = new();

    public BackupProcess()
    {
        Home = _temp.Join("home");
        Directory.CreateDirectory(Home);
        Catalog = _temp.Join("home", "catalog.db");
        Archive = _temp.Join("archive");
    }

    /// <summary>The apphost copied next to the test assembly.</summary>
    public static string Executable => Path.Join(AppContext.BaseDirectory, "backup");

    /// <summary>The private temp folder: put source trees and restore targets here.</summary>
    public string Root => _temp.Path;

    public string Home { get; }

    public string Catalog { get; }

    public string Archive { get; }

    /// <summary>When true, the executable runs as user nobody (setpriv), so that file permissions apply even when the tests run as root.</summary>
    public bool AsNobody { get; private set; }

    /// <summary>A path inside <see cref="Root"/> (not created).</summary>
    public string Join(params string[] parts) => _temp.Join(parts);

    /// <summary>Creates a directory inside <see cref="Root"/> and returns its path.</summary>
    public string Dir(params string[] parts)
    {
        var path = Join(parts);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Runs every later command as nobody; the whole private folder is given to nobody first.</summary>
    public void RunAsNobody()
    {
        Assert.True(Shell.Exists("setpriv"), "setpriv (util-linux) is required to run the backup as an unprivileged user");
        AsNobody = true;
        var chown = Shell.Run("chown", "-R", $"{Nobody}:{Nobody}", Root);
        Assert.True(chown.ExitCode == 0, chown.ToString());
    }

    /// <summary>Variables added to (or overriding) <see cref="Environment"/> for every later command.</summary>
    public Dictionary<string, string?> Variables { get; } = [];

    public Dictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["HOME"] = Home,
        ["XDG_DATA_HOME"] = Join("home", ".local", "share"),
        ["BACKUP_DB"] = Catalog,
        ["BACKUP_ARCHIVE"] = Archive,
        ["BACKUP_LOG"] = "",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    }.Concat(Variables).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>Runs <c>backup ARGS</c> in <see cref="Root"/> and waits for it.</summary>
    public Shell.Result Run(params string[] args) => RunIn(Root, args);

    /// <summary>Runs <c>backup ARGS</c> in <paramref name="workingDirectory"/> and waits for it.</summary>
    public Shell.Result RunIn(string workingDirectory, params string[] args)
    {
        var (program, argv) = CommandLine(args);
        return Shell.Run(program, argv, Environment, workingDirectory, DefaultTimeout);
    }

    /// <summary>Starts <c>backup ARGS</c> without waiting; the caller stops it (or disposes it, which kills it).</summary>
    public RunningBackup Start(params string[] args)
    {
        var (program, argv) = CommandLine(args);
        return new RunningBackup(Shell.Start(program, argv, Environment, Root));
    }

    /// <summary>The program and arguments that run <c>backup ARGS</c>: through setpriv after <see cref="RunAsNobody"/>.</summary>
    public (string Program, string[] Args) CommandLine(string[] args) => AsNobody
        ? ("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", Executable, .. args])
        : (Executable, args);

    public void Dispose() => _temp.Dispose();
}

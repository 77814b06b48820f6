using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// A <see cref="BackupProcess"/> world whose archive folder is a repository: every command gets <c>--archive REPO</c>
/// and the password through <c>$BACKUP_PASSWORD</c>, with the same isolation (HOME, catalog, archive) as the zip tests.
/// </summary>
internal sealed class RepositoryProcess : IDisposable
{
    public const string Password = "pw";

    private readonly BackupProcess _backup = new();
    private readonly string? _remote;

    /// <summary>A world whose repository is its archive folder.</summary>
    public RepositoryProcess()
    {
    }

    /// <summary>A world whose repository is at <paramref name="remote"/> (an <c>s3://</c> or <c>sftp://</c> URL), reached with <paramref name="variables"/>.</summary>
    public RepositoryProcess(string remote, IReadOnlyDictionary<string, string?> variables)
    {
        _remote = remote;
        foreach (var (name, value) in variables)
        {
            Variables[name] = value;
        }
    }

    /// <summary>Another host (its own HOME and catalog) that uses the same remote repository with the same variables.</summary>
    public RepositoryProcess Sibling() => new(_remote ?? throw new InvalidOperationException("only a remote repository is shared"), Variables);

    /// <summary>The world's HOME (its cache is under HOME/.cache/backup).</summary>
    public string Home => _backup.Home;

    /// <summary>The repository folder (the world's archive folder), or the remote URL; not created until <see cref="Init"/>.</summary>
    public string Repo => _remote ?? _backup.Archive;

    public string Root => _backup.Root;

    public string Catalog => _backup.Catalog;

    /// <summary>The password given to every command; null runs without one.</summary>
    public string? PasswordValue { get; set; } = Password;

    public string Join(params string[] parts) => _backup.Join(parts);

    public string Dir(params string[] parts) => _backup.Dir(parts);

    /// <summary>More variables for every later command (set after the password variables, so they can override them).</summary>
    public Dictionary<string, string?> Variables { get; } = [];

    public Dictionary<string, string?> Environment
    {
        get
        {
            var environment = _backup.Environment;
            environment["BACKUP_PASSWORD"] = PasswordValue;
            environment["BACKUP_PASSWORD_FILE"] = null;
            foreach (var (name, value) in Variables)
            {
                environment[name] = value;
            }
            return environment;
        }
    }

    /// <summary>Runs every later command as user nobody, giving it the whole private folder (see <see cref="BackupProcess.RunAsNobody"/>).</summary>
    public void RunAsNobody() => _backup.RunAsNobody();

    /// <summary>Runs <c>backup ARGS</c> as given (no <c>--archive</c> added).</summary>
    public Shell.Result Raw(params string[] args)
    {
        var (program, argv) = _backup.CommandLine(args);
        return Shell.Run(program, argv, Environment, Root, BackupProcess.DefaultTimeout);
    }

    /// <summary>Runs <c>backup ARGS --archive REPO</c>.</summary>
    public Shell.Result Run(params string[] args) => Raw([.. args, "--archive", Repo]);

    /// <summary>Runs <c>backup ARGS --archive REPO</c> and fails the test unless it exits with <paramref name="exitCode"/>.</summary>
    public Shell.Result Expect(int exitCode, params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == exitCode, $"backup {string.Join(' ', args)}: expected exit {exitCode}\n{result}");
        return result;
    }

    /// <summary>Starts <c>backup ARGS --archive REPO</c> without waiting.</summary>
    public RunningBackup Start(params string[] args)
    {
        var (program, argv) = _backup.CommandLine([.. args, "--archive", Repo]);
        return new(Shell.Start(program, argv, Environment, Root));
    }

    /// <summary>Starts <c>WRAPPER… backup ARGS --archive REPO</c> without waiting (<c>unshare --pid --fork --</c>, say).</summary>
    public RunningBackup StartUnder(string[] wrapper, params string[] args)
    {
        var (program, argv) = _backup.CommandLine([.. args, "--archive", Repo]);
        return new(Shell.Start(wrapper[0], [.. wrapper[1..], program, .. argv], Environment, Root));
    }

    /// <summary>A new world whose repository holds one snapshot of <c>src/</c> (one file, a.txt), taken by <c>run</c>.</summary>
    public static RepositoryProcess BackedUp()
    {
        var world = new RepositoryProcess();
        world.Init();
        var src = world.Dir("src");
        new TestTree(src).File("a.txt", "alpha");
        world.Add(src);
        world.Expect(0, "run");
        return world;
    }

    /// <summary>Makes <see cref="Repo"/> a repository with the password.</summary>
    public void Init() => Expect(0, "init");

    /// <summary>Watches <paramref name="source"/> in the catalog.</summary>
    public void Add(string source)
    {
        var add = Raw("add", source);
        Assert.True(add.ExitCode == 0, add.ToString());
    }

    /// <summary>The repository's snapshots from <c>snapshots --json</c>, oldest first.</summary>
    public IReadOnlyList<SnapshotRow> Snapshots()
    {
        var result = Expect(0, "snapshots", "--json");
        using var json = JsonDocument.Parse(result.Output);
        return [.. json.RootElement.EnumerateArray().Select(e => new SnapshotRow(
            e.GetProperty("id").GetString()!,
            e.GetProperty("path").GetString()!,
            e.GetProperty("files").GetInt64(),
            e.GetProperty("bytes").GetInt64(),
            e.GetProperty("new_bytes").GetInt64(),
            e.GetProperty("parent").GetString(),
            e.GetProperty("complete").GetBoolean()))];
    }

    /// <summary>Restores <paramref name="id"/> into a fresh folder and returns it.</summary>
    public string Restore(string id, params string[] extra)
    {
        var target = Join("restore-" + Guid.NewGuid().ToString("n")[..8]);
        Expect(0, ["restore", id, "--target", target, .. extra]);
        return target;
    }

    /// <summary>Files below <paramref name="folder"/> of the repository (data, index, snapshots, locks), temporary ones included.</summary>
    public string[] Files(string folder) => Directory.Exists(Path.Join(Repo, folder))
        ? [.. Directory.EnumerateFiles(Path.Join(Repo, folder), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>
    /// The lock files in place, not a temporary one still being written: a process stopped or killed as soon as any file
    /// appears in <c>locks/</c> may not have renamed its lock into place yet.
    /// </summary>
    public string[] Locks() => [.. Files("locks").Where(f => !Path.GetFileName(f).StartsWith('.'))];

    /// <summary>Total bytes of the files below the repository, as <c>du -sb</c> would count their sizes.</summary>
    public long StoredBytes() => Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public void Dispose() => _backup.Dispose();

    /// <summary>One line of <c>snapshots --json</c>.</summary>
    public sealed record SnapshotRow(string Id, string Path, long Files, long Bytes, long NewBytes, string? Parent, bool Complete);
}

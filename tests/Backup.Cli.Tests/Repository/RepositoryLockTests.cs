using System.Globalization;
using System.Security.Cryptography;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;
using CoreRepository = Backup.Core.Repositories.Repository;
using RepositoryLock = Backup.Core.Repositories.Locks.RepositoryLock;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// Repository locks between processes: the shared locks of run and of the commands that read against the exclusive one
/// of prune, stale locks, and locks that cannot be read.
/// </summary>
public sealed class RepositoryLockTests
{
    [Fact]
    public void Prune_WhileRunHoldsItsLock_Exits11NamingTheHolder()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 5)).File("small.txt", "s");
        world.Init();
        world.Add(src);
        using var run = world.Start("run");
        Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
        Assert.False(run.HasExited, $"run ended before it could be stopped\n{run}");
        // Stopped, not killed: its pid is alive, so its lock is not stale, and it cannot finish in the meantime.
        run.Signal("STOP");
        try
        {
            var prune = world.Expect(11, "prune");

            Assert.Contains("locked by pid " + run.Pid.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
            Assert.Contains("(run)", prune.Error, StringComparison.Ordinal);
        }
        finally
        {
            run.Signal("CONT");
        }
        Assert.True(run.WaitForExit(BackupProcess.DefaultTimeout) == 0, run.ToString());
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public void Run_WhileAnotherRunOfTheRepositoryIsStopped_SharesTheLock()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 6));
        world.Init();
        world.Add(src);
        using var first = world.Start("run");
        Poll.Until(() => world.Locks().Length > 0 || first.HasExited, "run to take its repository lock", describe: first.ToString);
        Assert.False(first.HasExited, first.ToString());
        first.Signal("STOP");
        try
        {
            // check reads without an exclusive lock: a shared lock of a live run does not stop it.
            var check = world.Expect(0, "check");
            Assert.Contains("no errors", check.Output, StringComparison.Ordinal);
        }
        finally
        {
            first.Signal("CONT");
        }
        Assert.Equal(0, first.WaitForExit(BackupProcess.DefaultTimeout));
    }

    [Fact]
    public void Prune_LockOfKilledRun_ReportsItStaleAndProceeds()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 7));
        world.Init();
        world.Add(src);
        int pid;
        using (var run = world.Start("run"))
        {
            Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
            Assert.False(run.HasExited, run.ToString());
            pid = run.Pid;
            run.Signal("KILL");
            run.WaitForExit(BackupProcess.DefaultTimeout);
        }
        var left = Assert.Single(world.Locks());

        var prune = world.Expect(0, "prune");

        Assert.Contains("stale lock " + Path.GetFileName(left)[..8], prune.Error, StringComparison.Ordinal);
        Assert.Contains("pid " + pid.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("locks"));
        world.Expect(0, "run");
        world.Expect(0, "check", "--read-data");
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public void Run_LockOfKilledRun_ProceedsAndWarnsItIsStale()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 8));
        world.Init();
        world.Add(src);
        using (var run = world.Start("run"))
        {
            Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
            Assert.False(run.HasExited, run.ToString());
            run.Signal("KILL");
            run.WaitForExit(BackupProcess.DefaultTimeout);
        }
        Assert.Single(world.Locks());

        var next = world.Expect(0, "run");

        Assert.Contains("stale lock", next.Error, StringComparison.Ordinal);
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public async Task ReadCommands_WhileALiveProcessHoldsAnExclusiveLock_Exit11()
    {
        using var world = OneSnapshot(out var id, 1 << 20);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, RepositoryProcess.Password, CancellationToken.None);
        await using var held = await RepositoryLock.AcquireAsync(repository, "prune", exclusive: true, _ => { }, TimeProvider.System, CancellationToken.None);
        string[][] commands =
        [
            ["restore", id, "--target", world.Join("out")], ["ls", id], ["diff", id, id], ["check"], ["stats"], ["snapshots"],
        ];

        foreach (var command in commands)
        {
            var result = world.Expect(11, command);

            Assert.Contains("locked by pid " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), result.Error, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(world.Join("out")), "restore wrote nothing");
    }

    [Fact]
    public async Task ReadCommandsAndRun_WhileALiveProcessHoldsASharedLock_ProceedAndPruneExits11()
    {
        using var world = OneSnapshot(out var id, 1 << 20);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, RepositoryProcess.Password, CancellationToken.None);
        await using var held = await RepositoryLock.AcquireAsync(repository, "restore", exclusive: false, _ => { }, TimeProvider.System, CancellationToken.None);

        world.Expect(0, "restore", id, "--target", world.Join("out"));
        world.Expect(0, "check");
        File.WriteAllText(Path.Join(world.Join("src"), "new.txt"), "new");
        world.Expect(0, "run");
        var prune = world.Expect(11, "prune");

        Assert.Contains("(restore)", prune.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Prune_WhileRestoreRuns_Exits11AndTheRestoreCompletes()
    {
        using var world = OneSnapshot(out var id, 32 << 20);
        var target = world.Join("out");
        using var restore = world.Start("restore", id, "--target", target);
        Poll.Until(() => world.Locks().Length > 0 || restore.HasExited, "restore to take its repository lock", describe: restore.ToString);
        Assert.False(restore.HasExited, $"restore ended before it could be stopped\n{restore}");
        restore.Signal("STOP");
        try
        {
            var prune = world.Expect(11, "prune");

            Assert.Contains("locked by pid " + restore.Pid.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
            Assert.Contains("(restore)", prune.Error, StringComparison.Ordinal);
        }
        finally
        {
            restore.Signal("CONT");
        }
        Assert.True(restore.WaitForExit(BackupProcess.DefaultTimeout) == 0, restore.ToString());
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(world.Join("src"), target);
    }

    [Fact]
    public async Task UnlockAndPrune_OldLockOfALiveProcessOnThisHost_KeepItAndRefuse()
    {
        using var world = OneSnapshot(out _, 1 << 20);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(world.Repo, RepositoryProcess.Password, CancellationToken.None);
        // Taken two hours ago by this clock (a laptop that slept, a clock that differs): its holder, this process, lives.
        var behind = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        await using var held = await RepositoryLock.AcquireAsync(repository, "run", exclusive: false, _ => { }, behind, CancellationToken.None);
        var file = Assert.Single(world.Locks());

        var unlock = world.Expect(0, "unlock");
        var prune = world.Expect(11, "prune");

        Assert.Contains("kept lock " + Path.GetFileName(file)[..8], unlock.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(file), unlock.ToString());
        Assert.Contains("locked by pid " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture), prune.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnlockAndPrune_WhileRunInAnotherPidNamespaceHoldsItsLock_KeepItAndRefuse()
    {
        Assert.True(Shell.Exists("unshare"), "unshare (util-linux) is required to run the backup in another pid namespace");
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("big.bin", TestTree.RandomBytes(8 << 20, 9)).File("small.txt", "s");
        world.Init();
        world.Add(src);
        // Pid 1 of a namespace of its own, on this host name: our /proc has no such process, or another one.
        using var run = world.StartUnder(["unshare", "--pid", "--fork", "--mount-proc", "--"], "run");
        Poll.Until(() => world.Locks().Length > 0 || run.HasExited, "run to take its repository lock", describe: run.ToString);
        Assert.False(run.HasExited, $"run ended before it could be stopped\n{run}");
        var backup = Assert.Single(File.ReadAllText($"/proc/{run.Pid.ToString(CultureInfo.InvariantCulture)}/task/{run.Pid.ToString(CultureInfo.InvariantCulture)}/children")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var file = Assert.Single(world.Locks());
        Kill("STOP", backup);
        try
        {
            var unlock = world.Expect(0, "unlock");
            var prune = world.Expect(11, "prune");

            Assert.Contains("kept lock " + Path.GetFileName(file)[..8], unlock.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(file), unlock.ToString());
            Assert.Contains("locked by pid 1 on ", prune.Error, StringComparison.Ordinal);
        }
        finally
        {
            Kill("CONT", backup);
        }
        Assert.True(run.WaitForExit(BackupProcess.DefaultTimeout) == 0, run.ToString());
        Assert.Empty(world.Files("locks"));
        TreeAssert.Identical(src, world.Restore(Assert.Single(world.Snapshots()).Id));
    }

    [Fact]
    public void RunAndPrune_GarbageFileInLocks_SucceedWarningNamingItAndUnlockRemovesItWhenOld()
    {
        using var world = OneSnapshot(out _, 1 << 20);
        var garbage = TestTree.RandomBytes(200, 3);
        var name = Convert.ToHexStringLower(SHA256.HashData(garbage));
        var path = Path.Join(world.Repo, "locks", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, garbage);
        File.WriteAllText(Path.Join(world.Join("src"), "new.txt"), "new");

        var run = world.Expect(0, "run");
        var prune = world.Expect(0, "prune");
        var fresh = world.Expect(0, "unlock");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - RepositoryLock.StaleAfter - TimeSpan.FromMinutes(1));
        var old = world.Expect(0, "unlock");

        Assert.Contains(name, run.Error, StringComparison.Ordinal);
        Assert.Contains(name, prune.Error, StringComparison.Ordinal);
        Assert.Contains("kept lock " + name[..8], fresh.Output, StringComparison.Ordinal);
        Assert.Contains("removing stale lock " + name[..8], old.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(path), old.ToString());
        Assert.Equal(2, world.Snapshots().Count);
    }

    private static void Kill(string signal, string pid)
    {
        var kill = Shell.Run("kill", $"-{signal}", pid);
        Assert.True(kill.ExitCode == 0, kill.ToString());
    }

    /// <summary>A repository with one snapshot of a source folder <c>src</c> holding <paramref name="bytes"/> of random data.</summary>
    private static RepositoryProcess OneSnapshot(out string id, int bytes)
    {
        var world = new RepositoryProcess();
        var src = world.Join("src");
        var tree = new TestTree(src).File("small.txt", "s");
        for (var i = 0; i < (bytes + (4 << 20) - 1) / (4 << 20); i++)
        {
            tree.File($"big{i}.bin", TestTree.RandomBytes(Math.Min(4 << 20, bytes - (i * (4 << 20))), 20 + i));
        }
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        id = Assert.Single(world.Snapshots()).Id;
        return world;
    }
}
